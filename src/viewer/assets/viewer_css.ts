/**
 * The viewer's stylesheet: system fonts, light and dark schemes from
 * `prefers-color-scheme`, a layout that stacks the detail pane under the waterfall on
 * narrow screens.
 *
 * @module
 */

/** The CSS of `/viewer.css`. */
export const VIEWER_CSS: string = `
:root {
  --bg: #ffffff; --fg: #1b1f24; --muted: #5b6570; --line: #d9dee3; --panel: #f5f7f9;
  --hover: #eef3f8; --sel: #dbe9fb; --accent: #0b63c5; --ok: #2f8f4e; --ok-bar: #5aa6e6;
  --error: #c62828; --error-bg: #fdecec; --open: #b26a00; --open-bg: #fff4e0; --mark: #1b1f24;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #15181c; --fg: #e3e7eb; --muted: #9aa4ae; --line: #2e343b; --panel: #1c2126;
    --hover: #222931; --sel: #1e3a5c; --accent: #6cb0ff; --ok: #5cc47f; --ok-bar: #3f86c8;
    --error: #ff6b6b; --error-bg: #3a1d1f; --open: #f0a93b; --open-bg: #3a2c14; --mark: #e3e7eb;
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body {
  background: var(--bg); color: var(--fg); display: flex; flex-direction: column;
  font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
a { color: var(--accent); }
:focus-visible { outline: 2px solid var(--accent); outline-offset: -2px; }
.top {
  display: flex; align-items: center; gap: 12px; padding: 8px 14px;
  border-bottom: 1px solid var(--line); background: var(--panel);
}
.brand { font-weight: 600; text-decoration: none; color: var(--fg); }
.crumb { color: var(--muted); font-family: var(--mono); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.live { margin-left: auto; font-size: 11px; color: var(--muted); }
.live::before { content: "●"; color: var(--ok); margin-right: 4px; }
.live.stale::before { color: var(--error); }
main { flex: 1; min-height: 0; display: flex; flex-direction: column; outline: none; }
.empty { color: var(--muted); padding: 20px; }
.error-text { color: var(--error); }

/* Turn list */
.filters { display: flex; flex-wrap: wrap; gap: 8px; padding: 10px 14px; border-bottom: 1px solid var(--line); align-items: end; }
.filters label { display: flex; flex-direction: column; font-size: 11px; color: var(--muted); gap: 2px; }
.filters input, .filters select, button {
  font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line);
  border-radius: 4px; padding: 4px 6px;
}
.filters input { width: 160px; }
button { cursor: pointer; }
button:disabled { opacity: 0.5; cursor: default; }
.list { flex: 1; overflow: auto; padding: 0 0 20px; }
.group h2 {
  position: sticky; top: 0; margin: 0; padding: 6px 14px; font-size: 12px; font-weight: 600;
  background: var(--panel); border-bottom: 1px solid var(--line); z-index: 1;
}
.group h2 button { border: none; background: none; padding: 0; color: var(--accent); font-family: var(--mono); }
.turn {
  display: grid; grid-template-columns: minmax(140px, 1.2fr) minmax(120px, 1.6fr) 180px 80px 64px 90px 120px;
  gap: 10px; align-items: center; padding: 5px 14px; border-bottom: 1px solid var(--line);
  color: var(--fg); text-decoration: none;
}
.turn:hover { background: var(--hover); }
.turn:focus-visible { background: var(--sel); }
.turn .id { font-family: var(--mono); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.turn .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.turn .num { text-align: right; font-variant-numeric: tabular-nums; }
.turn.head { font-size: 11px; color: var(--muted); font-weight: 600; background: var(--bg); }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; font-weight: 600; }
.badge.ok { color: var(--ok); border: 1px solid var(--ok); }
.badge.error { color: var(--error); background: var(--error-bg); border: 1px solid var(--error); }
.badge.open { color: var(--open); background: var(--open-bg); border: 1px solid var(--open); }
.pager { display: flex; gap: 8px; align-items: center; padding: 10px 14px; }

/* Turn view */
.turnbar { display: flex; flex-wrap: wrap; gap: 14px; align-items: center; padding: 8px 14px; border-bottom: 1px solid var(--line); }
.turnbar .stat { color: var(--muted); }
.turnbar .stat b { color: var(--fg); font-weight: 600; }
.split { flex: 1; min-height: 0; display: flex; }
.waterfall { flex: 3; min-width: 0; display: flex; flex-direction: column; border-right: 1px solid var(--line); }
.axis { position: relative; height: 22px; border-bottom: 1px solid var(--line); background: var(--panel); flex: none; }
.axis .tick { position: absolute; top: 0; bottom: 0; border-left: 1px solid var(--line); padding-left: 3px; font-size: 10px; color: var(--muted); white-space: nowrap; }
.rows { flex: 1; overflow: auto; position: relative; outline: none; }
.rows-inner { position: relative; }
.row { position: absolute; left: 0; right: 0; height: 24px; display: flex; align-items: center; cursor: pointer; border-bottom: 1px solid transparent; }
.row:hover { background: var(--hover); }
.row.selected { background: var(--sel); }
.row .label { flex: none; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; padding-right: 6px; }
.row .label .svc { color: var(--muted); font-size: 11px; margin-left: 6px; }
.row.error .label .nm { color: var(--error); font-weight: 600; }
.row.error .label .nm::before { content: "✖ "; }
.row.open .label .nm::before { content: "◔ "; color: var(--open); }
.row .track { position: relative; flex: 1; height: 100%; }
.bar { position: absolute; top: 6px; height: 12px; min-width: 2px; border-radius: 2px; background: var(--ok-bar); }
.row.error .bar { background: var(--error); }
.row.open .bar {
  background: repeating-linear-gradient(135deg, var(--open) 0 6px, transparent 6px 9px);
  border: 1px solid var(--open); border-right: 3px solid var(--open);
}
.bar .dur { position: absolute; left: 100%; top: -2px; padding-left: 4px; font-size: 10px; color: var(--muted); white-space: nowrap; }
.logmark { position: absolute; top: 3px; width: 2px; height: 18px; background: var(--mark); opacity: 0.7; }
.logmark.error, .logmark.warn { background: var(--error); opacity: 1; }
.detail { flex: 2; min-width: 300px; overflow: auto; padding: 10px 14px 30px; }
.detail h3 { margin: 4px 0 8px; font-size: 15px; word-break: break-all; }
.detail h4 { margin: 14px 0 4px; font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; font-family: var(--mono); word-break: break-all; white-space: pre-wrap; }
pre.body { margin: 0; padding: 8px; background: var(--panel); border: 1px solid var(--line); border-radius: 4px; white-space: pre-wrap; word-break: break-word; font: 12px/1.45 var(--mono); max-height: 60vh; overflow: auto; }
details > summary { cursor: pointer; color: var(--accent); margin: 4px 0; }
.logs { list-style: none; margin: 0; padding: 0; }
.logs li { padding: 3px 0; border-bottom: 1px solid var(--line); font-family: var(--mono); font-size: 12px; white-space: pre-wrap; word-break: break-word; }
.logs .lvl { font-weight: 600; margin-right: 6px; }
.logs .lvl.error, .logs .lvl.warn { color: var(--error); }
.muted { color: var(--muted); }
.hint { color: var(--muted); font-size: 11px; padding: 4px 14px; border-top: 1px solid var(--line); }
@media (max-width: 1000px) {
  .split { flex-direction: column; }
  .waterfall { border-right: none; border-bottom: 1px solid var(--line); min-height: 50vh; }
  .detail { min-width: 0; }
  .turn { grid-template-columns: minmax(110px, 1fr) minmax(100px, 1fr) 170px 70px 60px 80px; }
  .turn .tokens { display: none; }
}
`;
