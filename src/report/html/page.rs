//! The frame of every HTML page: head, the inline style sheet (the charts' palette), the top
//! links, and the one small inline script (sorting tables, filtering the runs table, the
//! tooltip of chart points). No network: nothing is loaded from anywhere. The contents of the
//! pages are built elsewhere.

use super::escape::escape;

/// A whole page: `title`, the links along the top (href, text), and `body` (HTML).
pub fn page(title: &str, links: &[(String, String)], body: &str) -> String {
    let nav: Vec<String> = links
        .iter()
        .map(|(href, text)| format!("<a href=\"{}\">{}</a>", escape(href), escape(text)))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <nav>{}</nav>\n<main>\n{body}</main>\n<div id=\"tip\" hidden></div>\n\
         <script>{SCRIPT}</script>\n</body>\n</html>\n",
        escape(title),
        nav.join(" · ")
    )
}

/// Colours are the charts' (src/plot/style.rs): blue for links, the diverged red for diverged
/// runs, the grid grey for rules.
const STYLE: &str = r##"
:root { --blue: #1F77B4; --diverged: #DC0000; --grid: #E1E1E1; --ink: #1a1a1a; --muted: #666; }
* { box-sizing: border-box; }
[id] { scroll-margin-top: 48px; }
body { margin: 0; font: 15px/1.45 "DejaVu Sans", Verdana, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); background: #fafafa; }
nav { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid var(--grid); padding: 8px 24px; font-size: 14px; }
main { max-width: 1280px; margin: 0 auto; padding: 8px 24px 48px; background: #fff; }
h1 { font-size: 26px; margin: 16px 0 8px; }
h2 { font-size: 20px; margin: 28px 0 8px; padding-top: 8px; border-top: 2px solid var(--grid); }
h3 { font-size: 16px; margin: 20px 0 6px; }
p, li { max-width: 100ch; }
a { color: var(--blue); }
code { font: 13px "DejaVu Sans Mono", Menlo, Consolas, monospace; background: #f2f2f2; padding: 0 3px; border-radius: 3px; overflow-wrap: anywhere; }
pre { background: #f6f6f6; padding: 8px 12px; overflow-x: auto; }
.table-wrap { overflow-x: auto; margin: 8px 0 16px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--grid); text-align: left; vertical-align: top; }
th { position: sticky; top: 0; background: #f4f6f8; cursor: pointer; user-select: none; white-space: nowrap; }
th::after { content: " \2195"; color: #aaa; font-size: 11px; }
th[aria-sort="ascending"]::after { content: " \25B2"; color: var(--blue); }
th[aria-sort="descending"]::after { content: " \25BC"; color: var(--blue); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafbfc; }
tbody tr:hover { background: #eef4fa; }
td.diverged, tr.diverged td.outcome, td.diverged-count { color: var(--diverged); font-weight: bold; }
td.interval, td.nowrap { white-space: nowrap; }
td.verdict-supported strong { color: #2CA02C; } td.verdict-contradicted strong { color: var(--diverged); } td.verdict-other strong { color: #FF7F0E; }
tr.diverged { background: #fff1f1 !important; }
tr:target { outline: 2px solid var(--blue); background: #e3eef8 !important; }
figure.chart { margin: 12px 0 20px; max-width: 1000px; }
figure.chart svg { width: 100%; height: auto; display: block; border: 1px solid var(--grid); }
figure.chart figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
.hit circle { fill: transparent; stroke: none; cursor: pointer; }
.hit:hover circle { stroke: #000; stroke-width: 2; }
.hit polyline { fill: none; stroke: transparent; stroke-width: 7; cursor: pointer; }
.hit:hover polyline { stroke: rgba(0, 0, 0, 0.6); stroke-width: 2.5; }
#tip { position: fixed; z-index: 3; pointer-events: none; background: #222; color: #fff; font-size: 13px; padding: 4px 8px; border-radius: 4px; max-width: 420px; }
.filter { margin: 8px 0; display: flex; gap: 12px; align-items: center; flex-wrap: wrap; font-size: 14px; }
.filter select, .filter input { font: inherit; padding: 2px 4px; max-width: 480px; }
details summary { cursor: pointer; color: var(--blue); }
details code { display: block; white-space: pre-wrap; max-width: 640px; }
.lead { color: var(--muted); }
"##;

/// Sorting: a click on a header sorts its table's body by that column (numbers as numbers,
/// `–` and text after them), again to reverse. Filtering: the runs table's cell menu and text
/// box hide the other rows; following a link to a hidden row clears them. Tooltip: a chart
/// point's `data-tip` follows the mouse.
const SCRIPT: &str = r##"
(function () {
  "use strict";
  function key(text) {
    var t = text.trim().replace(/\u2212/g, "-");
    var m = t.match(/^[\[(]?\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/i);
    if (m) { return { n: parseFloat(m[1]), s: t }; }
    if (/^[+]?\u221e/.test(t)) { return { n: Infinity, s: t }; }
    if (/^-\u221e/.test(t)) { return { n: -Infinity, s: t }; }
    return { n: NaN, s: t };
  }
  function compare(a, b) {
    var an = isNaN(a.n), bn = isNaN(b.n);
    if (!an && !bn) { return a.n === b.n ? 0 : (a.n < b.n ? -1 : 1); }
    if (an !== bn) { return an ? 1 : -1; }
    return a.s.localeCompare(b.s);
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, col) {
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var down = th.getAttribute("aria-sort") === "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", down ? "descending" : "ascending");
        var keyed = rows.map(function (r, i) {
          var c = r.cells[col];
          return { row: r, i: i, k: key(c ? (c.getAttribute("data-sort") || c.textContent) : "") };
        });
        keyed.sort(function (x, y) {
          var d = compare(x.k, y.k);
          if (down) { d = -d; }
          return d || x.i - y.i;
        });
        keyed.forEach(function (x) { body.appendChild(x.row); });
      });
    });
  });
  var cell = document.getElementById("cell-filter");
  var text = document.getElementById("text-filter");
  function filter() {
    var want = cell ? cell.value : "";
    var words = text ? text.value.toLowerCase() : "";
    document.querySelectorAll("#runs tbody tr").forEach(function (r) {
      var ok = (!want || r.getAttribute("data-cell") === want) &&
               (!words || r.textContent.toLowerCase().indexOf(words) >= 0);
      r.hidden = !ok;
    });
  }
  if (cell) { cell.addEventListener("change", filter); }
  if (text) { text.addEventListener("input", filter); }
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var row = id && document.getElementById(id);
    if (row && row.hidden) {
      if (cell) { cell.value = ""; }
      if (text) { text.value = ""; }
      filter();
      row.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", reveal);
  reveal();
  var tip = document.getElementById("tip");
  document.querySelectorAll(".hit").forEach(function (hit) {
    hit.addEventListener("mousemove", function (e) {
      tip.textContent = hit.getAttribute("data-tip");
      tip.hidden = false;
      // Beside the pointer, flipped to stay inside the window.
      var x = e.clientX + 14, y = e.clientY + 14;
      if (x + tip.offsetWidth > window.innerWidth - 8) { x = e.clientX - 14 - tip.offsetWidth; }
      if (y + tip.offsetHeight > window.innerHeight - 8) { y = e.clientY - 14 - tip.offsetHeight; }
      tip.style.left = Math.max(4, x) + "px";
      tip.style.top = Math.max(4, y) + "px";
    });
    hit.addEventListener("mouseleave", function () { tip.hidden = true; });
  });
})();
"##;
