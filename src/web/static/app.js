// po-intake review: keyboard shortcuts. Plain JavaScript, no framework; every action is a
// normal form or link, so the pages work without this file too.
(function () {
  "use strict";
  var help = document.getElementById("help");
  function toggleHelp(show) {
    if (!help) return;
    help.hidden = show === undefined ? !help.hidden : !show;
  }
  document.querySelectorAll("[data-help]").forEach(function (b) {
    b.addEventListener("click", function () { toggleHelp(); });
  });
  if (help) help.addEventListener("click", function (e) { if (e.target === help) toggleHelp(false); });

  // Rows (queue) or exceptions (order page) that j/k move through.
  var queueRows = Array.prototype.slice.call(document.querySelectorAll("tr.selectable"));
  var excs = Array.prototype.slice.call(document.querySelectorAll(".exc"));
  var items = queueRows.length ? queueRows : excs;
  var sel = -1;
  function select(i) {
    if (!items.length) return;
    if (sel >= 0 && items[sel]) items[sel].classList.remove("selected");
    sel = Math.max(0, Math.min(items.length - 1, i));
    items[sel].classList.add("selected");
    var line = items[sel].getAttribute("data-line");
    document.querySelectorAll("tr.line.selected-line").forEach(function (r) { r.classList.remove("selected-line"); });
    if (line !== null) {
      var tr = document.querySelector('tr.line[data-line="' + line + '"]');
      if (tr) tr.classList.add("selected-line");
    }
    items[sel].scrollIntoView({ block: "nearest" });
  }
  if (items.length) select(0);

  queueRows.forEach(function (r, i) {
    r.addEventListener("click", function (e) {
      if (e.target.tagName !== "A") { select(i); location.href = r.getAttribute("data-href"); }
    });
  });

  function click(selector) {
    var root = sel >= 0 && items[sel] ? items[sel] : document;
    var b = root.querySelector(selector) || document.querySelector(selector);
    if (b) b.click();
  }

  var approveForm = document.getElementById("approve-form");
  var armed = false;
  function approve() {
    if (!approveForm) return;
    var open = parseInt(approveForm.getAttribute("data-open") || "0", 10);
    var warn = document.getElementById("approve-warning");
    if (open > 0 && !armed) {
      armed = true;
      if (warn) warn.hidden = false;
      return;
    }
    approveForm.submit();
  }
  if (approveForm) {
    approveForm.addEventListener("submit", function (e) {
      var open = parseInt(approveForm.getAttribute("data-open") || "0", 10);
      if (open > 0 && !armed) { e.preventDefault(); approve(); }
    });
  }

  function editSelected() {
    var line = sel >= 0 && items[sel] ? items[sel].getAttribute("data-line") : null;
    var input = null;
    if (line !== null) {
      var tr = document.querySelector('tr.line[data-line="' + line + '"]');
      if (tr) input = tr.querySelector("td.flag input") || tr.querySelector("input");
    }
    input = input || document.querySelector("#edit-form .flag input") || document.querySelector("#edit-form input:not([type=hidden])");
    if (input) { input.focus(); input.select(); }
  }

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
    if (typing) {
      if (e.key === "Escape") { t.blur(); }
      else if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && t.form) { e.preventDefault(); t.form.submit(); }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    switch (e.key) {
      case "?": toggleHelp(); break;
      case "Escape": toggleHelp(false); break;
      case "j": select(sel + 1); break;
      case "k": select(sel - 1); break;
      case "Enter": case "o":
        if (queueRows.length && sel >= 0) location.href = queueRows[sel].getAttribute("data-href");
        else return;
        break;
      case "f": click("[data-fix]"); break;
      case "r": click("[data-remember]"); break;
      case "a": approve(); break;
      case "e": editSelected(); break;
      case "x": var r = document.getElementById("reject-reason"); if (r) r.focus(); break;
      case "s": var s = document.getElementById("skip-form"); if (s) s.submit(); break;
      case "u": location.href = "/queue"; break;
      default: return;
    }
    e.preventDefault();
  });
})();
