"""The audit report's stylesheet, inlined into the page so the file stands alone."""

from __future__ import annotations

STYLESHEET = """
:root {
  --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --zebra: #f8fafc; --panel: #ffffff;
  --page: #f3f4f6; --accent: #1d4ed8;
  --ok-ink: #166534; --ok-bg: #dcfce7; --warn-ink: #92400e; --warn-bg: #fef3c7;
  --bad-ink: #991b1b; --bad-bg: #fee2e2; --info-ink: #374151; --info-bg: #e5e7eb;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--page); color: var(--ink);
  font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue",
    Arial, "Noto Sans", "Liberation Sans", sans-serif;
}
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 48px; }
a { color: var(--accent); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono",
  monospace; font-size: 12.5px; }
header.masthead {
  background: #0f172a; color: #f8fafc; padding: 28px 0 24px;
}
header.masthead .inner { max-width: 1240px; margin: 0 auto; padding: 0 28px; }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: #94a3b8; }
h1 { font-size: 26px; margin: 4px 0 10px; font-weight: 650; display: flex; gap: 14px;
  align-items: center; flex-wrap: wrap; }
.cause { margin: 0 0 14px; padding: 8px 12px; border-radius: 6px; background: #1e293b;
  color: #fde68a; font-size: 13.5px; }
dl.meta { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 10px 24px;
  margin: 0; }
dl.meta div { min-width: 0; }
dl.meta dt { color: #94a3b8; font-size: 12px; }
dl.meta dd { margin: 0; font-size: 13.5px; overflow-wrap: anywhere; }
header.masthead a { color: #93c5fd; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 12.5px;
  font-weight: 600; letter-spacing: .02em; text-transform: uppercase; vertical-align: middle; }
.badge-success, .badge-passed { color: var(--ok-ink); background: var(--ok-bg); }
.badge-blocked { color: var(--warn-ink); background: var(--warn-bg); }
.badge-failed { color: var(--bad-ink); background: var(--bad-bg); }
.badge-running, .badge-not-reached, .badge-unknown { color: var(--info-ink);
  background: var(--info-bg); }
.kpis { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 14px;
  margin: 22px 0 8px; }
.kpi { background: var(--panel); border: 1px solid var(--line); border-radius: 10px;
  padding: 14px 16px; }
.kpi .value { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; }
.kpi .label { color: var(--muted); font-size: 12.5px; }
nav.toc { margin: 14px 0 4px; font-size: 13px; color: var(--muted); }
nav.toc a { margin-right: 14px; text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
section.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px;
  padding: 18px 20px 20px; margin: 18px 0; }
section.card h2 { font-size: 17px; margin: 0 0 4px; font-weight: 650; }
section.card .lead { color: var(--muted); margin: 0 0 12px; font-size: 13px; }
p.empty { color: var(--muted); font-style: italic; margin: 8px 0 0; }
p.note { color: var(--muted); font-size: 12.5px; margin: 8px 0 0; }
p.decision { margin: 0 0 10px; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th, td { padding: 6px 10px; text-align: left; vertical-align: baseline; border-bottom: 1px solid
  var(--line); }
th { font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase;
  letter-spacing: .03em; background: #f9fafb; border-bottom: 1px solid #d1d5db;
  white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.zebra tbody tr:nth-child(even) td { background: var(--zebra); }
table.grouped tbody:nth-of-type(even) td { background: var(--zebra); }
table.grouped tbody td.group { font-weight: 600; }
table.grouped tbody + tbody tr:first-child td { border-top: 2px solid #d1d5db; }
span.tag { display: inline-block; margin-left: 6px; padding: 0 6px; border-radius: 4px;
  background: #dbeafe; color: #1e40af; font-size: 11px; font-weight: 600;
  font-family: -apple-system, "Segoe UI", Roboto, Arial, "Liberation Sans", sans-serif; }
td.id, td.nowrap { white-space: nowrap; }
td.name { width: 20%; }
td.bad { color: var(--bad-ink); font-weight: 600; }
td.warn { color: var(--warn-ink); font-weight: 600; }
.muted { color: var(--muted); }
td.value { max-width: 340px; overflow-wrap: anywhere; }
.chart { overflow-x: auto; }
.chart svg { max-width: 100%; height: auto; display: block; }
.legend { color: var(--muted); font-size: 12.5px; margin-top: 6px; }
details summary { cursor: pointer; color: var(--accent); font-size: 13px; margin-top: 10px; }
footer { color: var(--muted); font-size: 12px; margin-top: 28px; }
@media print {
  body { background: #fff; }
  section.card { break-inside: auto; border: none; padding: 0; }
  header.masthead { background: #fff; color: var(--ink); }
}
"""
