// The upload page: every dropped or chosen file is sent on its own to POST /api/documents
// (with the session cookie and the CSRF token), and its outcome gets a row.
(function () {
  "use strict";
  var zone = document.getElementById("dropzone");
  var input = document.getElementById("files");
  var table = document.getElementById("uploads");
  if (!zone || !input || !table) { return; }
  var body = table.querySelector("tbody");
  var csrf = zone.getAttribute("data-csrf") || "";

  function cell(row, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) { td.className = cls; }
    row.appendChild(td);
    return td;
  }

  function show(row, doc) {
    row.cells[1].textContent = doc.status + (doc.reason ? ": " + doc.reason : "");
    row.cells[1].className = "status-" + doc.status;
    row.cells[2].textContent = doc.document_id == null ? "–" : String(doc.document_id);
    var orders = row.cells[3];
    orders.textContent = "";
    (doc.orders || []).forEach(function (o) {
      var a = document.createElement("a");
      a.href = "/items/" + o.order_id;
      a.textContent = "PO " + (o.po_number || "?") + " → " + o.decision;
      a.className = "upload-order";
      orders.appendChild(a);
      orders.appendChild(document.createTextNode(" "));
    });
    if (!doc.orders || doc.orders.length === 0) { orders.textContent = "–"; }
  }

  function send(file) {
    table.hidden = false;
    var row = document.createElement("tr");
    row.setAttribute("data-file", file.name);
    cell(row, file.name);
    cell(row, "uploading…", "muted");
    cell(row, "");
    cell(row, "");
    body.appendChild(row);
    var form = new FormData();
    form.append("file", file, file.name);
    return fetch("/api/documents", {
      method: "POST",
      headers: { "x-csrf-token": csrf },
      body: form,
      credentials: "same-origin"
    }).then(function (resp) {
      return resp.json().then(function (j) { return { ok: resp.ok, j: j }; });
    }).then(function (r) {
      if (!r.ok) { throw new Error(r.j.error || "upload failed"); }
      (r.j.documents || []).forEach(function (d) { show(row, d); });
      row.setAttribute("data-done", "1");
    }).catch(function (e) {
      row.cells[1].textContent = "error: " + e.message;
      row.cells[1].className = "error-text";
      row.setAttribute("data-done", "1");
    });
  }

  function sendAll(files) {
    // One after another: the server reads one upload at a time anyway.
    var chain = Promise.resolve();
    Array.prototype.forEach.call(files, function (f) {
      chain = chain.then(function () { return send(f); });
    });
  }

  zone.addEventListener("dragover", function (e) { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer && e.dataTransfer.files) { sendAll(e.dataTransfer.files); }
  });
  zone.addEventListener("click", function (e) { if (e.target === zone) { input.click(); } });
  input.addEventListener("change", function () { sendAll(input.files); input.value = ""; });
}());
