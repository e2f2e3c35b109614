"""The stylesheet and script embedded in the HTML validation report (no external assets, no network).

Kept apart from vogue_pack.report.html so that the page logic reads as Python. The script is vanilla
JavaScript over the JSON data block ``#vp-data`` written by :func:`vogue_pack.report.html.render_html`; it
builds rows with ``textContent`` only (values come from broken data and are never parsed as HTML).
"""

from __future__ import annotations

CSS = """
:root {
  --bg: #f6f7f9; --card: #ffffff; --ink: #1d2433; --muted: #5c667a; --line: #e2e6ee;
  --accent: #2f5bd3; --error: #b42318; --error-bg: #fdecea; --warning: #9a5b00; --warning-bg: #fff4e0;
  --ok: #1f7a3a; --ok-bg: #e7f6ec; --code-bg: #f0f2f6; --group-bg: #eef2fb;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #14171d; --card: #1c2028; --ink: #e6e9ef; --muted: #9aa3b5; --line: #2d333f;
    --accent: #7da2ff; --error: #ff8a80; --error-bg: #3a1f1f; --warning: #ffc166; --warning-bg: #3a2e1a;
    --ok: #7ad39a; --ok-bg: #1b3226; --code-bg: #262b35; --group-bg: #222a3a;
  }
}
* { box-sizing: border-box; }
html { scroll-behavior: smooth; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
code, .mono { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 12.5px; }
header.top { background: var(--card); border-bottom: 1px solid var(--line); padding: 18px 28px 14px; }
header.top h1 { margin: 0 0 6px; font-size: 22px; font-weight: 650; display: flex; align-items: center;
  gap: 12px; flex-wrap: wrap; }
.status { font-size: 13px; font-weight: 700; letter-spacing: .04em; padding: 3px 10px; border-radius: 999px;
  text-transform: uppercase; }
.status.pass { color: var(--ok); background: var(--ok-bg); }
.status.fail { color: var(--error); background: var(--error-bg); }
.meta { color: var(--muted); font-size: 13px; display: flex; gap: 18px; flex-wrap: wrap; }
.meta code { background: var(--code-bg); padding: 1px 5px; border-radius: 4px; }
nav.sections { display: flex; gap: 4px; margin-top: 12px; flex-wrap: wrap; }
nav.sections a { color: var(--accent); text-decoration: none; padding: 4px 10px; border-radius: 6px;
  font-weight: 550; }
nav.sections a:hover { background: var(--group-bg); }
main { padding: 20px 28px 40px; max-width: 1400px; }
section { margin-bottom: 28px; }
h2 { font-size: 17px; margin: 0 0 12px; font-weight: 650; }
h3 { font-size: 14px; margin: 0 0 8px; font-weight: 650; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px;
  margin-bottom: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.card .n { font-size: 24px; font-weight: 700; font-variant-numeric: tabular-nums; }
.card .l { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .05em; }
.card.error .n { color: var(--error); }
.card.warning .n { color: var(--warning); }
.card.ok .n { color: var(--ok); }
.banner { border-radius: 8px; padding: 10px 14px; margin-bottom: 14px; font-weight: 550; }
.banner.warning { background: var(--warning-bg); color: var(--warning); }
.panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
.panel { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px;
  overflow: auto; }
.panel.scroll { max-height: 330px; padding-top: 0; }
.panel.scroll h3 { position: sticky; top: 0; background: var(--card); padding-top: 14px; margin: 0;
  padding-bottom: 8px; z-index: 1; }
.panel.scroll thead th { position: sticky; top: 38px; background: var(--card); z-index: 1; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; font-size: 11px; font-weight: 700; padding: 1px 7px; border-radius: 999px;
  text-transform: uppercase; letter-spacing: .03em; }
.badge.error { color: var(--error); background: var(--error-bg); }
.badge.warning { color: var(--warning); background: var(--warning-bg); }
a.filter-link { color: var(--accent); text-decoration: none; cursor: pointer; }
a.filter-link:hover { text-decoration: underline; }
.muted { color: var(--muted); }
.stats-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 14px;
  align-items: start; }
.stats-grid .wide { grid-column: 1 / -1; }
.stats td:first-child { color: var(--muted); }
.stats table table td, .stats table table th { border-bottom: none; padding: 1px 6px; }
.stats table.records td:first-child { color: var(--ink); }
.controls { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: end; background: var(--card);
  border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; margin-bottom: 10px; }
.controls label { display: flex; flex-direction: column; gap: 3px; font-size: 12px; color: var(--muted);
  font-weight: 600; }
.controls select, .controls input[type=search] { font: inherit; color: var(--ink); background: var(--bg);
  border: 1px solid var(--line); border-radius: 6px; padding: 5px 8px; min-width: 120px; max-width: 260px; }
.controls fieldset { border: none; padding: 0; margin: 0; display: flex; gap: 10px; align-items: center; }
.controls legend { font-size: 12px; color: var(--muted); font-weight: 600; padding: 0; margin-bottom: 3px; }
.controls fieldset label { flex-direction: row; align-items: center; gap: 4px; color: var(--ink);
  font-weight: 500; font-size: 13px; }
button { font: inherit; color: var(--ink); background: var(--card); border: 1px solid var(--line);
  border-radius: 6px; padding: 4px 10px; cursor: pointer; }
button:disabled { opacity: .45; cursor: default; }
button.reset { align-self: end; }
.pager { display: flex; align-items: center; gap: 8px; margin: 8px 0; flex-wrap: wrap; }
.pager .status-text { color: var(--muted); margin-right: auto; }
.findings-table { background: var(--card); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
.findings-table td { font-size: 13px; }
.findings-table td.loc { min-width: 240px; max-width: 380px; overflow-wrap: anywhere; }
.findings-table td.loc .mono { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.findings-table td.val { min-width: 150px; max-width: 240px; }
.findings-table td.code { white-space: nowrap; }
.findings-table td.val code { background: var(--code-bg); padding: 1px 4px; border-radius: 4px;
  overflow-wrap: anywhere; }
.findings-table tr.group th { background: var(--group-bg); color: var(--ink); text-transform: none;
  font-size: 13px; letter-spacing: 0; padding: 7px 8px; }
.findings-table tr.group .count { color: var(--muted); font-weight: 500; margin-left: 8px; }
.findings-table tr.sev-error td:first-child { box-shadow: inset 3px 0 var(--error); }
.findings-table tr.sev-warning td:first-child { box-shadow: inset 3px 0 var(--warning); }
.empty { padding: 18px; color: var(--muted); text-align: center; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 14px; }
.cluster { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.cluster h3 { display: flex; justify-content: space-between; gap: 8px; }
.thumbs { display: flex; flex-wrap: wrap; gap: 10px; margin: 6px 0 10px; }
.thumb { margin: 0; width: 104px; text-align: center; }
.thumb .frame { width: 104px; height: 104px; display: flex; align-items: center; justify-content: center;
  background: #ffffff; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
.thumb img { max-width: 96px; max-height: 96px; display: block; }
.thumb .none { color: #7a8394; font-size: 11px; padding: 6px; }
.thumb figcaption { font-size: 12px; margin-top: 3px; font-weight: 600; }
.thumb figcaption .dim { display: block; font-weight: 400; color: var(--muted); font-size: 11px; }
.pairs td { font-size: 12.5px; padding: 3px 6px; }
.dist td { border-bottom: none; padding: 1px 6px 1px 0; font-size: 12.5px; }
.dist td.k { color: var(--muted); min-width: 28px; }
.dist svg { display: block; }
.dist rect.bar { fill: var(--accent); opacity: .75; }
.dist rect.track { fill: var(--code-bg); }
footer { color: var(--muted); font-size: 12px; padding: 0 28px 28px; }
"""

# Filter state lives in the form controls; each change recomputes the matching indices (one pass over the
# data, fast for 100,000 findings) and draws one page of rows.
JS = r"""
"use strict";
(function () {
  var data = JSON.parse(document.getElementById("vp-data").textContent);
  var F = data.findings;  // [severity 0|1, code index, file index, location, value, expected, message]
  var SEV = ["error", "warning"];
  var PAGE = data.page_size;
  var el = function (id) { return document.getElementById(id); };
  var ctl = {sev: el("f-sev"), code: el("f-code"), file: el("f-file"), q: el("f-q")};
  var body = el("findings-body"), status = el("findings-status");
  var state = {page: 0, group: "file"};
  var matches = [], groupCounts = null, hay = null;
  var codeIndex = {}, fileIndex = {};
  data.codes.forEach(function (c, i) { codeIndex[c] = i; });
  data.files.forEach(function (f, i) { fileIndex[f] = i; });
  var orders = {file: null, code: null};

  function order(group) {
    if (orders[group] === null) {
      var idx = new Array(F.length);
      for (var i = 0; i < F.length; i++) idx[i] = i;
      if (group === "code") {
        // data.codes is sorted, so code index order is code order; ties keep the report order.
        idx.sort(function (a, b) { return (F[a][1] - F[b][1]) || (a - b); });
      }
      orders[group] = idx;
    }
    return orders[group];
  }

  function haystack(i) {
    if (hay === null) hay = new Array(F.length);
    if (hay[i] === undefined) {
      var f = F[i];
      hay[i] = (data.codes[f[1]] + "\n" + data.files[f[2]] + "\n" + f[3] + "\n" + f[4] + "\n" + f[5] + "\n" +
                f[6]).toLowerCase();
    }
    return hay[i];
  }

  function compute() {
    var sev = ctl.sev.value === "" ? -1 : SEV.indexOf(ctl.sev.value);
    var code = ctl.code.value === "" ? -1 : codeIndex[ctl.code.value];
    var file = ctl.file.value === "" ? -1 : fileIndex[ctl.file.value];
    var q = ctl.q.value.trim().toLowerCase();
    var key = state.group === "code" ? 1 : 2;
    var idx = order(state.group);
    matches = [];
    groupCounts = {};
    for (var n = 0; n < idx.length; n++) {
      var i = idx[n], f = F[i];
      if (sev >= 0 && f[0] !== sev) continue;
      if (code >= 0 && f[1] !== code) continue;
      if (file >= 0 && f[2] !== file) continue;
      if (q && haystack(i).indexOf(q) < 0) continue;
      matches.push(i);
      groupCounts[f[key]] = (groupCounts[f[key]] || 0) + 1;
    }
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    if (text !== null) td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function valueCell(tr, text) {
    var td = cell(tr, null, "val");
    if (text !== "") {
      var c = document.createElement("code");
      c.textContent = text.length > 90 ? text.slice(0, 90) + "\u2026" : text;
      if (text.length > 90) c.title = text;  // the whole value on hover
      td.appendChild(c);
    }
  }

  function plural(n, word) { return n.toLocaleString("en-US") + " " + word + (n === 1 ? "" : "s"); }

  function draw() {
    var pages = Math.max(1, Math.ceil(matches.length / PAGE));
    if (state.page >= pages) state.page = pages - 1;
    var start = state.page * PAGE, end = Math.min(matches.length, start + PAGE);
    var key = state.group === "code" ? 1 : 2;
    var frag = document.createDocumentFragment();
    var last = -1;
    for (var n = start; n < end; n++) {
      var f = F[matches[n]];
      if (f[key] !== last) {
        last = f[key];
        var gr = document.createElement("tr");
        gr.className = "group";
        var th = document.createElement("th");
        th.colSpan = 6;
        var name = document.createElement("span");
        if (key === 1) {
          name.className = "mono";
          name.textContent = data.codes[last] + " \u2014 " + data.code_titles[last];
        } else {
          name.textContent = data.files[last] || "(tree)";
        }
        var count = document.createElement("span");
        count.className = "count";
        count.textContent = plural(groupCounts[last], "finding");
        th.appendChild(name);
        th.appendChild(count);
        gr.appendChild(th);
        frag.appendChild(gr);
      }
      var tr = document.createElement("tr");
      tr.className = "finding sev-" + SEV[f[0]];
      var sevTd = cell(tr, null, "");
      var badge = document.createElement("span");
      badge.className = "badge " + SEV[f[0]];
      badge.textContent = SEV[f[0]];
      sevTd.appendChild(badge);
      var codeTd = cell(tr, null, "code");
      var code = document.createElement("code");
      code.textContent = data.codes[f[1]];
      codeTd.appendChild(code);
      var loc = cell(tr, null, "loc");
      if (key === 1) {  // grouped by code: the file is not in the group header, show it here
        var fileLine = document.createElement("div");
        fileLine.className = "mono";
        fileLine.textContent = data.files[f[2]] || "(tree)";
        fileLine.title = fileLine.textContent;
        loc.appendChild(fileLine);
      }
      var where = document.createElement("div");
      where.className = "where";
      where.textContent = f[3] || (key === 1 ? "" : "(whole file)");
      loc.appendChild(where);
      valueCell(tr, f[4]);
      valueCell(tr, f[5]);
      cell(tr, f[6], "msg");
      frag.appendChild(tr);
    }
    body.textContent = "";
    if (matches.length === 0) {
      var tr0 = document.createElement("tr");
      var td0 = cell(tr0, F.length ? "No finding matches the filter." : "No findings.", "empty");
      td0.colSpan = 6;
      frag.appendChild(tr0);
    }
    body.appendChild(frag);
    status.textContent = matches.length === 0 ? "0 of " + plural(F.length, "finding") :
      "Showing " + (start + 1).toLocaleString("en-US") + "\u2013" + end.toLocaleString("en-US") + " of " +
      plural(matches.length, "matching finding") +
      (matches.length !== F.length ? " (" + F.length.toLocaleString("en-US") + " in total)" : "");
    el("page-label").textContent = "Page " + (state.page + 1).toLocaleString("en-US") + " of " +
      pages.toLocaleString("en-US");
    el("page-first").disabled = el("page-prev").disabled = state.page === 0;
    el("page-next").disabled = el("page-last").disabled = state.page >= pages - 1;
  }

  function refresh() { state.page = 0; compute(); draw(); }

  var timer = null;
  ctl.sev.addEventListener("change", refresh);
  ctl.code.addEventListener("change", refresh);
  ctl.file.addEventListener("change", refresh);
  ctl.q.addEventListener("input", function () {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(refresh, 150);
  });
  document.querySelectorAll("input[name=group]").forEach(function (r) {
    r.addEventListener("change", function () { if (r.checked) { state.group = r.value; refresh(); } });
  });
  el("f-reset").addEventListener("click", function () {
    ctl.sev.value = ""; ctl.code.value = ""; ctl.file.value = ""; ctl.q.value = ""; refresh();
  });
  function go(page) { return function () { state.page = page(); draw(); }; }
  el("page-first").addEventListener("click", go(function () { return 0; }));
  el("page-prev").addEventListener("click", go(function () { return Math.max(0, state.page - 1); }));
  el("page-next").addEventListener("click", go(function () { return state.page + 1; }));
  el("page-last").addEventListener("click", go(function () { return Math.ceil(matches.length / PAGE) - 1; }));
  // Links in the summary tables set one filter and jump to the list.
  document.querySelectorAll("a[data-filter]").forEach(function (a) {
    a.addEventListener("click", function () {
      ctl.sev.value = ""; ctl.code.value = ""; ctl.file.value = ""; ctl.q.value = "";
      var target = ctl[a.getAttribute("data-filter")], value = a.getAttribute("data-value");
      target.value = value;
      if (target.value !== value) ctl.q.value = value;  // a file beyond the select's list: search it
      refresh();
    });
  });
  el("findings-ui").hidden = false;
  state.group = document.querySelector("input[name=group]:checked").value;
  refresh();
})();
"""
