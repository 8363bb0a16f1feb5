/**
 * The observer page (`GET /observer`), in the spirit of Erlang's observer: the live supervision
 * tree, sessions and a restart timeline. One self-contained document (HTML, CSS, and the script
 * of observer_script.ts); everything dynamic arrives over `/observer/events` and is written with
 * `textContent`, never as HTML.
 */
import { OBSERVER_SCRIPT } from './observer_script.js';

/** Inline code only, no third-party origin, no framing (the crash buttons must not be clickjacked). */
export const OBSERVER_CSP = [
  "default-src 'none'", "script-src 'unsafe-inline'", "style-src 'unsafe-inline'", "connect-src 'self'",
  "img-src data:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

const STYLE = `
:root {
  --bg: #0f1419; --panel: #161d26; --line: #243040; --text: #d7dee8; --muted: #7d8b9c;
  --accent: #5fb3f9; --ok: #4cc38a; --warn: #f0b44c; --bad: #f2686b; --sup: #b99cff;
  font: 14px/1.45 ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
header { display: flex; align-items: center; gap: 24px; padding: 14px 24px; border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { font-size: 18px; margin: 0; font-weight: 650; letter-spacing: .2px; }
header h1 span { color: var(--accent); }
.stats { display: flex; gap: 20px; flex-wrap: wrap; color: var(--muted); font-size: 13px; }
.stats b { color: var(--text); font-weight: 600; font-variant-numeric: tabular-nums; }
.live { margin-left: auto; display: flex; align-items: center; gap: 8px; color: var(--muted); font-size: 13px; }
.dot { width: 9px; height: 9px; border-radius: 50%; background: var(--bad); }
.live.on .dot { background: var(--ok); box-shadow: 0 0 8px var(--ok); }
main { display: grid; grid-template-columns: minmax(0, 1fr) 360px; gap: 18px; padding: 18px 24px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
section h2 { margin: 0; padding: 10px 14px; font-size: 13px; text-transform: uppercase; letter-spacing: .8px; color: var(--muted); border-bottom: 1px solid var(--line); display: flex; justify-content: space-between; }
aside { display: flex; flex-direction: column; gap: 18px; min-width: 0; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th { text-align: left; font-weight: 500; color: var(--muted); font-size: 12px; padding: 7px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td { padding: 5px 10px; border-bottom: 1px solid #1c2531; white-space: nowrap; }
td.num, th.num { text-align: right; }
tr:hover td { background: #1a2330; }
.actor { display: flex; align-items: baseline; gap: 8px; }
.actor .kind { font-size: 10px; padding: 1px 5px; border-radius: 4px; border: 1px solid var(--line); color: var(--muted); }
tr.supervisor .actor .name { color: var(--sup); font-weight: 600; }
.actor .label { color: var(--muted); font-size: 12px; overflow: hidden; text-overflow: ellipsis; max-width: 260px; }
.branch { color: #3a4a5e; font-family: ui-monospace, monospace; white-space: pre; }
.pid, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
.status { font-size: 12px; }
.status.running { color: var(--ok); } .status.restarting, .status.dead { color: var(--bad); }
.restarts.hot { color: var(--warn); font-weight: 700; }
.exit { color: var(--bad); font-size: 12px; max-width: 220px; overflow: hidden; text-overflow: ellipsis; }
.more td { color: var(--muted); font-style: italic; }
button.crash { background: transparent; color: var(--bad); border: 1px solid #5a2a2d; border-radius: 6px; padding: 2px 9px; font-size: 12px; cursor: pointer; }
button.crash:hover { background: #3a1c1f; }
button.crash:disabled { opacity: .4; cursor: default; }
tr.flash td { animation: flash 2.4s ease-out; }
@keyframes flash { 0% { background: #5a4a1c; } 100% { background: transparent; } }
ul { list-style: none; margin: 0; padding: 0; max-height: 46vh; overflow: auto; }
li { padding: 7px 14px; border-bottom: 1px solid #1c2531; font-size: 13px; }
li .sub { color: var(--muted); font-size: 12px; }
li.empty { color: var(--muted); font-style: italic; }
.badge { display: inline-block; min-width: 62px; text-align: center; font-size: 11px; font-weight: 600; border-radius: 4px; padding: 1px 6px; margin-right: 6px; }
.badge.exit { background: #3a1c1f; color: var(--bad); } .badge.restart { background: #17342a; color: var(--ok); }
.badge.escalate { background: #3b2f14; color: var(--warn); }
footer { padding: 0 24px 18px; color: var(--muted); font-size: 12px; }
#toast { position: fixed; bottom: 18px; right: 18px; background: #222c38; border: 1px solid var(--line); padding: 10px 14px; border-radius: 8px; opacity: 0; transition: opacity .3s; }
#toast.show { opacity: 1; }
`;

export const OBSERVER_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Troupe observer</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Troupe <span>observer</span></h1>
  <div class="stats">
    <span>OS pid <b id="s-pid">–</b></span>
    <span>uptime <b id="s-uptime">–</b></span>
    <span>processes <b id="s-processes">–</b></span>
    <span>sessions <b id="s-sessions">–</b></span>
    <span>RSS <b id="s-rss">–</b></span>
    <span>heap <b id="s-heap">–</b></span>
  </div>
  <div class="live" id="live"><span class="dot"></span><span id="live-text">connecting…</span></div>
</header>
<main>
  <section>
    <h2><span>Supervision tree</span><span id="updated"></span></h2>
    <table>
      <thead><tr>
        <th>actor</th><th>pid</th><th>status</th><th class="num">mailbox</th><th class="num">msg/s</th>
        <th class="num" title="kernel cost of each process plus its queued messages; supervisors add up their subtree">mem ≈</th>
        <th class="num">restarts</th><th>last exit</th><th></th>
      </tr></thead>
      <tbody id="tree"></tbody>
    </table>
  </section>
  <aside>
    <section>
      <h2><span>Sessions</span><span id="session-count"></span></h2>
      <ul id="sessions"><li class="empty">no sessions</li></ul>
    </section>
    <section>
      <h2><span>Restart timeline</span><span>last 50</span></h2>
      <ul id="timeline"><li class="empty">no restarts yet: press a crash button</li></ul>
    </section>
  </aside>
</main>
<footer>Live over server-sent events from the supervisors' event feed, with a snapshot every second.
mem ≈ is an estimate (about 720 bytes per process plus its queued messages); RSS and heap are the node's.</footer>
<div id="toast"></div>
<script>${OBSERVER_SCRIPT}</script>
</body>
</html>
`;
