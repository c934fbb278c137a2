// po-intake item page: the page view (issue 18 item 4). Focusing a field of the order draws
// the box it was read from on the page; clicking a word (shift-click or drag for several)
// fills the focused field with it and keeps the box, posted with the form as
// box:<input name> so the approval learns the layout from exactly those words.
// Keyboard: in a field, Alt+Left/Right moves a word cursor from the field's box through the
// words in reading order (Alt+Shift extends), Alt+Enter fills the field with it.
// Plain JavaScript, no framework; without it the page still works (no highlight, no picking).
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var view = document.getElementById("page-view");
  var form = document.getElementById("edit-form");

  // ---- Reading printed values the way the form expects them --------------------------

  // Does the document write decimals with a comma ("1.234,56")? Decided from its words.
  var decimalComma = false;
  if (view) {
    var comma = 0, dot = 0;
    view.querySelectorAll("g.w text").forEach(function (t) {
      var s = t.textContent;
      if (/\d,\d\d$/.test(s)) comma++;
      else if (/\d\.\d\d$/.test(s)) dot++;
    });
    decimalComma = comma > dot;
  }

  // "1.234,56" / "1,234.56" / "(12.00)" / "€ 3 474,51" -> "3474.51"; null when no number.
  function parseNumber(text) {
    var s = String(text).replace(/[^0-9.,()\-\u2212]/g, "");
    var neg = /^\(.*\)$/.test(s) || /[-\u2212]/.test(s);
    s = s.replace(/[()\-\u2212]/g, "");
    if (!/\d/.test(s)) return null;
    var lastDot = s.lastIndexOf("."), lastComma = s.lastIndexOf(",");
    var dec = -1;
    if (lastDot >= 0 && lastComma >= 0) {
      dec = Math.max(lastDot, lastComma);
    } else if (lastDot >= 0 || lastComma >= 0) {
      var sep = lastDot >= 0 ? "." : ",";
      var at = Math.max(lastDot, lastComma);
      var after = s.length - at - 1;
      var once = s.split(sep).length === 2;
      if (once && after !== 3) dec = at;
      // "1.234" or "1,234": thousands, unless the document writes decimals that way.
      else if (once && after === 3) dec = (sep === ",") === decimalComma ? at : -1;
    }
    var digits = dec < 0
      ? s.replace(/[.,]/g, "")
      : s.slice(0, dec).replace(/[.,]/g, "") + "." + s.slice(dec + 1).replace(/[.,]/g, "");
    if (digits.charAt(0) === ".") digits = "0" + digits;
    var n = parseFloat(digits);
    if (!isFinite(n)) return null;
    var out = digits.replace(/^0+(?=\d)/, "").replace(/\.$/, "");
    if (out.indexOf(".") >= 0) out = out.replace(/0+$/, "").replace(/\.$/, "");
    return (neg && n !== 0 ? "-" : "") + out;
  }

  var MONTHS = [
    ["jan"], ["feb"], ["mar", "mär", "mrz"], ["apr"], ["may", "mai"], ["jun"],
    ["jul"], ["aug"], ["sep"], ["oct", "okt"], ["nov"], ["dec", "dez"]
  ];
  function monthOf(word) {
    var w = word.toLowerCase().replace(/[^a-zä]/g, "");
    if (w.length < 3) return 0;
    for (var i = 0; i < 12; i++) {
      for (var j = 0; j < MONTHS[i].length; j++) {
        if (w.indexOf(MONTHS[i][j]) === 0) return i + 1;
      }
    }
    return 0;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function iso(y, m, d) {
    if (y < 100) y += 2000;
    if (m < 1 || m > 12 || d < 1 || d > 31) return null;
    var t = new Date(Date.UTC(y, m - 1, d));
    if (t.getUTCMonth() !== m - 1) return null;
    return y + "-" + pad(m) + "-" + pad(d);
  }
  // "24.02.2023", "02/24/2023", "2023-02-24", "24 Feb 2023", "February 24, 2023" -> ISO.
  function parseDate(text) {
    var s = String(text).trim();
    var m = s.match(/(\d{4})[-./](\d{1,2})[-./](\d{1,2})/);
    if (m) return iso(+m[1], +m[2], +m[3]);
    m = s.match(/(\d{1,2})([-./])(\d{1,2})\2(\d{2,4})/);
    if (m) {
      var a = +m[1], b = +m[3], y = +m[4];
      var dayFirst = m[2] === "." || a > 12 || (b <= 12 && decimalComma);
      return dayFirst ? iso(y, b, a) : iso(y, a, b);
    }
    var words = s.split(/[\s,.\-/]+/).filter(Boolean);
    var month = 0, nums = [];
    words.forEach(function (w) {
      if (/^\d+$/.test(w)) nums.push(+w);
      else if (!month) month = monthOf(w);
    });
    if (month && nums.length >= 2) {
      var year = nums.filter(function (n) { return n > 31; })[0];
      var day = nums.filter(function (n) { return n <= 31; })[0];
      if (year && day) return iso(year, month, day);
    }
    return null;
  }

  var CURRENCY = { "€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "CHF": "CHF", "FR.": "CHF" };

  var NUMERIC = /(^h_(total|subtotal)$)|(_(quantity|unit_price|amount|price_unit|discount_pct|rate_pct)$)/;
  // The value a field gets from the words `text`, as its input expects it.
  function valueFor(name, text) {
    if (NUMERIC.test(name)) return parseNumber(text);
    if (name === "h_order_date") return parseDate(text);
    if (name === "h_currency") {
      var t = text.trim().toUpperCase();
      if (/^[A-Z]{3}$/.test(t)) return t;
      var k = Object.keys(CURRENCY).filter(function (c) { return t.indexOf(c) >= 0; })[0];
      return k ? CURRENCY[k] : t;
    }
    return text;
  }

  window.poIntake = { parseNumber: parseNumber, parseDate: parseDate, valueFor: valueFor };

  if (!view || !form) return;

  // ---- The page view -----------------------------------------------------------------

  var part = view.getAttribute("data-part");
  var pages = Array.prototype.slice.call(view.querySelectorAll("svg.page"));
  function pageSvg(n) {
    return view.querySelector('svg.page[data-page="' + n + '"]');
  }
  // A page image that cannot be had leaves the words to be read.
  pages.forEach(function (svg) {
    var img = svg.querySelector("image");
    if (img) img.addEventListener("error", function () { svg.classList.remove("raster"); });
  });

  function wordBox(g) {
    var r = g.firstElementChild;
    var x = +r.getAttribute("x"), y = +r.getAttribute("y");
    return [x, y, x + (+r.getAttribute("width")), y + (+r.getAttribute("height"))];
  }
  function union(boxes) {
    return boxes.reduce(function (u, b) {
      return [Math.min(u[0], b[0]), Math.min(u[1], b[1]), Math.max(u[2], b[2]), Math.max(u[3], b[3])];
    }, [Infinity, Infinity, -Infinity, -Infinity]);
  }
  function round(v) { return Math.round(v * 100) / 100; }

  function drawRect(svg, cls, b) {
    var r = document.createElementNS(SVG, "rect");
    r.setAttribute("class", cls);
    var pad = 1.5;
    r.setAttribute("x", b[0] - pad);
    r.setAttribute("y", b[1] - pad);
    r.setAttribute("width", Math.max(0, b[2] - b[0]) + 2 * pad);
    r.setAttribute("height", Math.max(0, b[3] - b[1]) + 2 * pad);
    svg.appendChild(r);
    return r;
  }
  function clear(cls) {
    view.querySelectorAll("rect." + cls).forEach(function (r) { r.remove(); });
  }

  // Scroll the page view (only it) so `el` is in sight.
  function reveal(el) {
    var c = view.getBoundingClientRect(), r = el.getBoundingClientRect();
    if (r.top < c.top || r.bottom > c.bottom) {
      view.scrollTop += r.top - c.top - (c.height - r.height) / 2;
    }
  }

  var hint = document.getElementById("pick-hint");
  var hintText = hint ? hint.textContent : "";

  // Draw the box of `input` (its data-box: "part page x0 y0 x1 y1").
  function highlight(input) {
    clear("hl");
    var b = (input.getAttribute("data-box") || "").split(" ").map(Number);
    if (b.length !== 6 || b.some(isNaN) || String(b[0]) !== part) {
      if (hint) hint.textContent = input.value
        ? "No box is known for this value" + (view.classList.contains("can-pick") ? ": click its words to place it." : ".")
        : hintText;
      return null;
    }
    var svg = pageSvg(b[1]);
    if (!svg) return null;
    if (hint) hint.textContent = hintText;
    var r = drawRect(svg, "hl", b.slice(2));
    r.setAttribute("data-for", input.name);
    reveal(r);
    return r;
  }

  function isField(el) {
    return el && el.tagName === "INPUT" && el.form === form && /^(h_|l\d+_|c\d+_)/.test(el.name || "");
  }

  var active = null;     // the field words go into
  var chosen = [];       // the words (g.w) chosen for it, on one page
  var cursor = -1;       // keyboard word cursor: index into allWords
  var allWords = Array.prototype.slice.call(view.querySelectorAll("g.w"));

  form.addEventListener("focusin", function (e) {
    if (!isField(e.target)) return;
    if (active !== e.target) { chosen = []; clear("sel"); cursor = -1; }
    active = e.target;
    highlight(active);
  });

  function boxInput(name) {
    var key = "box:" + name;
    var el = Array.prototype.slice.call(form.querySelectorAll('input[type=hidden]'))
      .filter(function (i) { return i.name === key; })[0];
    if (!el) {
      el = document.createElement("input");
      el.type = "hidden";
      el.name = key;
      form.appendChild(el);
    }
    return el;
  }

  // Typing over a picked value: the box no longer says where it was read.
  form.addEventListener("input", function (e) {
    if (!isField(e.target) || e.target.__filling) return;
    var key = "box:" + e.target.name;
    form.querySelectorAll("input[type=hidden]").forEach(function (i) { if (i.name === key) i.remove(); });
  });

  // The chosen words in reading order: lines top to bottom, words left to right.
  function readingOrder(ws) {
    return ws.map(function (g) { return { g: g, b: wordBox(g) }; }).sort(function (p, q) {
      var hp = p.b[3] - p.b[1], hq = q.b[3] - q.b[1];
      var same = Math.abs((p.b[1] + p.b[3]) / 2 - (q.b[1] + q.b[3]) / 2) < 0.5 * Math.min(hp, hq);
      return same ? p.b[0] - q.b[0] : p.b[1] - q.b[1];
    });
  }
  // Words joined by spaces; for a header field (an address) lines by ", ".
  function textOf(ordered, lineSep) {
    var out = "", last = null;
    ordered.forEach(function (w) {
      var cy = (w.b[1] + w.b[3]) / 2;
      if (last) out += Math.abs(cy - last.cy) > 0.5 * last.h ? lineSep : " ";
      out += w.g.textContent;
      last = { cy: cy, h: w.b[3] - w.b[1] };
    });
    return out;
  }

  // Fill the active field from the chosen words and keep their box.
  function fill() {
    if (!active || !chosen.length || active.readOnly) return;
    var svg = chosen[0].ownerSVGElement;
    var ordered = readingOrder(chosen);
    var text = textOf(ordered, /^h_/.test(active.name) ? ", " : " ");
    var b = union(ordered.map(function (w) { return w.b; })).map(round);
    var value = valueFor(active.name, text);
    active.__filling = true;
    active.value = value === null ? text : value;
    active.dispatchEvent(new Event("input", { bubbles: true }));
    active.__filling = false;
    var page = svg.getAttribute("data-page");
    active.setAttribute("data-box", [part, page].concat(b).join(" "));
    if (/^(h_|l\d+_)/.test(active.name)) {
      boxInput(active.name).value = JSON.stringify({ part: +part, page: +page, bbox: b, text: text });
    }
    active.classList.add("picked");
    clear("sel");
    chosen.forEach(function (g) { drawRect(g.ownerSVGElement, "sel", wordBox(g)); });
    highlight(active);
  }

  // Choose `ws` (extend: add to the words chosen on the same page).
  function choose(ws, extend) {
    if (!ws.length) return;
    var svg = ws[0].ownerSVGElement;
    if (!extend || !chosen.length || chosen[0].ownerSVGElement !== svg) chosen = [];
    ws.forEach(function (g) {
      var i = chosen.indexOf(g);
      if (i >= 0 && extend && ws.length === 1) chosen.splice(i, 1);
      else if (i < 0) chosen.push(g);
    });
    fill();
  }

  // Clicks and drags on a page: a click picks the word under it, a drag every word whose
  // middle is inside the band.
  function toPage(svg, e) {
    var p = svg.createSVGPoint();
    p.x = e.clientX; p.y = e.clientY;
    var m = svg.getScreenCTM();
    return m ? p.matrixTransform(m.inverse()) : p;
  }
  pages.forEach(function (svg) {
    var start = null, band = null;
    svg.addEventListener("pointerdown", function (e) {
      if (!active || !view.classList.contains("can-pick") || e.button !== 0) return;
      start = toPage(svg, e);
      e.preventDefault(); // keep the focus in the field
    });
    svg.addEventListener("pointermove", function (e) {
      if (!start) return;
      var p = toPage(svg, e);
      if (!band && Math.abs(p.x - start.x) + Math.abs(p.y - start.y) < 4) return;
      if (!band) { band = drawRect(svg, "band", [start.x, start.y, start.x, start.y]); svg.setPointerCapture(e.pointerId); }
      var b = [Math.min(start.x, p.x), Math.min(start.y, p.y), Math.max(start.x, p.x), Math.max(start.y, p.y)];
      band.setAttribute("x", b[0]); band.setAttribute("y", b[1]);
      band.setAttribute("width", b[2] - b[0]); band.setAttribute("height", b[3] - b[1]);
    });
    svg.addEventListener("pointerup", function (e) {
      if (!start) return;
      var extend = e.shiftKey || e.ctrlKey || e.metaKey;
      if (band) {
        var x = +band.getAttribute("x"), y = +band.getAttribute("y");
        var x1 = x + (+band.getAttribute("width")), y1 = y + (+band.getAttribute("height"));
        band.remove();
        band = null;
        var inside = Array.prototype.slice.call(svg.querySelectorAll("g.w")).filter(function (g) {
          var b = wordBox(g), cx = (b[0] + b[2]) / 2, cy = (b[1] + b[3]) / 2;
          return cx >= x && cx <= x1 && cy >= y && cy <= y1;
        });
        choose(inside, extend);
      } else {
        var g = e.target.closest ? e.target.closest("g.w") : null;
        if (g) choose([g], extend);
      }
      start = null;
      if (active) active.focus({ preventScroll: true });
    });
  });

  // ---- Keyboard: a word cursor from the field's box ---------------------------------

  function nearestWord(input) {
    var b = (input.getAttribute("data-box") || "").split(" ").map(Number);
    if (b.length !== 6 || b.some(isNaN)) return 0;
    var best = 0, dist = Infinity;
    allWords.forEach(function (g, i) {
      if (g.ownerSVGElement.getAttribute("data-page") !== String(b[1])) return;
      var w = wordBox(g);
      var d = Math.abs(w[0] - b[2]) + Math.abs(w[1] - b[3]);
      if (d < dist) { dist = d; best = i; }
    });
    return best;
  }
  function showCursor() {
    clear("cur");
    var g = allWords[cursor];
    if (g) reveal(drawRect(g.ownerSVGElement, "cur", wordBox(g)));
  }
  form.addEventListener("keydown", function (e) {
    if (!e.altKey || !isField(e.target) || !allWords.length) return;
    active = e.target;
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      if (cursor < 0) cursor = nearestWord(active);
      else cursor = Math.max(0, Math.min(allWords.length - 1, cursor + (e.key === "ArrowRight" ? 1 : -1)));
      if (e.shiftKey && view.classList.contains("can-pick")) choose([allWords[cursor]], true);
      showCursor();
    } else if (e.key === "Enter" && cursor >= 0 && view.classList.contains("can-pick")) {
      choose([allWords[cursor]], false);
    } else {
      return;
    }
    e.preventDefault();
    e.stopPropagation();
  });

  // ---- Tabs: the page view or the original (the PDF viewer loads when first shown) ---

  document.querySelectorAll(".doc-tabs .tab").forEach(function (tab) {
    tab.addEventListener("click", function () {
      document.querySelectorAll(".doc-tabs .tab").forEach(function (t) {
        var on = t === tab;
        t.classList.toggle("on", on);
        t.setAttribute("aria-pressed", on ? "true" : "false");
        var pane = document.getElementById(t.getAttribute("data-tab"));
        if (pane) pane.hidden = !on;
      });
      var frame = document.querySelector("#original-view iframe[data-src]");
      if (frame && !document.getElementById("original-view").hidden) {
        frame.src = frame.getAttribute("data-src");
        frame.removeAttribute("data-src");
      }
    });
  });
})();
