import crypto from 'node:crypto';

/**
 * The /ui dashboard: one self-contained page (no build step, no external assets) kept as strings in the code, so the
 * single executable serves it with nothing on disk. It follows `GET /status/stream` (SSE of the /status model) with
 * EventSource, which reconnects by itself, and renders with textContent only (topic and group names are user data).
 */

const STYLE = `
:root{--bg:#0f1419;--fg:#d7dce2;--dim:#7c8792;--ok:#4cc38a;--warn:#e5b43c;--bad:#ef5b5b;--acc:#5aa9e6;--card:#171e26}
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;gap:16px;align-items:baseline;flex-wrap:wrap;padding:12px 20px;border-bottom:1px solid #26303b}
h1{font-size:18px;margin:0}h2{font-size:14px;margin:20px 0 6px;color:var(--dim);text-transform:uppercase;letter-spacing:.05em}
main{padding:0 20px 24px}.dim{color:var(--dim)}.ok{color:var(--ok)}.warn{color:var(--warn)}.bad{color:var(--bad)}
#conn::before{content:'\\25CF ';}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px;margin-top:14px}
.card{background:var(--card);border-radius:6px;padding:10px 12px}.card .v{font-size:20px;font-variant-numeric:tabular-nums}
.card .k{color:var(--dim);font-size:12px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{text-align:right;padding:4px 10px;border-bottom:1px solid #222b35;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{color:var(--dim);font-weight:500}
label.plain{text-transform:none;letter-spacing:0;font-weight:400}
svg.spark{width:90px;height:18px;vertical-align:middle}svg.spark polyline{fill:none;stroke:var(--acc);stroke-width:1.5}
`;

const SCRIPT = `
'use strict';
const $ = (id) => document.getElementById(id);
const history = new Map();
const HISTORY = 40;
const num = (n) => n >= 1e9 ? (n / 1e9).toFixed(1) + 'G' : n >= 1e6 ? (n / 1e6).toFixed(1) + 'M' : n >= 1e4 ? (n / 1e3).toFixed(1) + 'k' : String(Math.round(n * 10) / 10);
const bytes = (n) => { const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB']; let i = 0; while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; } return (i ? n.toFixed(1) : String(n)) + ' ' + u[i]; };
const dur = (ms) => { const s = Math.floor(ms / 1000); if (s < 60) return s + 's'; const m = Math.floor(s / 60); if (m < 60) return m + 'm' + (s % 60) + 's'; const h = Math.floor(m / 60); return h < 48 ? h + 'h' + (m % 60) + 'm' : Math.floor(h / 24) + 'd' + (h % 24) + 'h'; };
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; }
function spark(values) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg'); svg.setAttribute('class', 'spark'); svg.setAttribute('viewBox', '0 0 90 18');
  const max = Math.max(1, ...values);
  const pts = values.map((v, i) => (i * 90 / Math.max(1, HISTORY - 1)).toFixed(1) + ',' + (17 - (v / max) * 16).toFixed(1)).join(' ');
  const line = document.createElementNS(ns, 'polyline'); line.setAttribute('points', pts); svg.appendChild(line);
  return svg;
}
function remember(key, v) { const h = history.get(key) || []; h.push(v); if (h.length > HISTORY) h.shift(); history.set(key, h); return h; }
function table(id, head, rows) {
  const t = $(id); t.replaceChildren();
  const tr = el('tr'); for (const h of head) tr.appendChild(el('th', h)); t.appendChild(tr);
  if (rows.length === 0) { const r = el('tr'); const td = el('td', 'none', 'dim'); td.colSpan = head.length; r.appendChild(td); t.appendChild(r); }
  for (const row of rows) { const r = el('tr'); for (const c of row) { const td = el('td'); if (c instanceof Node) td.appendChild(c); else if (c && typeof c === 'object') { td.textContent = c.text; td.className = c.cls; } else td.textContent = c === null || c === undefined ? '-' : String(c); r.appendChild(td); } t.appendChild(r); }
}
function card(id, value) { $(id).textContent = value; }
function render(s) {
  const n = s.node;
  $('node').textContent = (n.role === 'lb' ? 'lb ' : 'broker ') + n.id + ' at ' + n.url + ' \\u00b7 mq ' + n.version + ' \\u00b7 up ' + dur(n.uptime_ms);
  const st = $('state'); st.textContent = n.state + ' \\u00b7 cluster ' + s.cluster.status; st.className = n.state === 'serving' && s.cluster.status === 'healthy' ? 'ok' : s.cluster.status === 'unavailable' ? 'bad' : 'warn';
  const t = s.totals;
  card('in-rate', num(t.messages_in_per_s) + ' msg/s'); card('out-rate', num(t.messages_out_per_s) + ' msg/s');
  card('in-bytes', bytes(Math.round(t.bytes_in_per_s)) + '/s'); card('out-bytes', bytes(Math.round(t.bytes_out_per_s)) + '/s');
  card('messages-in', String(t.messages_in)); card('messages-out', String(t.messages_out));
  const p = s.process; card('cpu', p.cpu_percent.toFixed(1) + ' %'); card('rss', bytes(p.rss_bytes));
  card('loop', p.event_loop_delay_p99_ms.toFixed(1) + ' ms'); card('fsyncs', String(s.storage.fsyncs));
  card('wal', bytes(s.storage.wal_bytes)); card('conns', String(s.connections.open));
  const sync = $('durability'); sync.textContent = s.storage.synchronous === 'FULL' ? 'fsync before ack' : 'UNSAFE synchronous=' + s.storage.synchronous; sync.className = s.storage.synchronous === 'FULL' ? 'ok' : 'bad';
  table('brokers', ['id', 'url', 'status', 'role', 'version'], s.cluster.brokers.map((b) => [b.id, b.url, {text: b.status, cls: b.status === 'active' ? 'ok' : 'bad'}, b.role, b.version]));
  const showInternal = $('internal').checked;
  const rows = [];
  for (const topic of s.topics) {
    if (topic.internal && !showInternal) continue;
    for (const q of topic.partitions) {
      const h = remember(topic.name + '/' + q.partition, q.rates.messages_in_per_s);
      rows.push([topic.name + '/' + q.partition, q.leader === null ? {text: 'none', cls: 'bad'} : q.leader, q.in_sync.length + '/' + q.replicas.length, q.log_start_offset, q.high_watermark, q.messages, bytes(q.bytes), num(q.rates.messages_in_per_s), spark(h), num(q.rates.messages_out_per_s), bytes(Math.round(q.rates.bytes_in_per_s)) + '/s']);
    }
  }
  table('partitions', ['partition', 'leader', 'in sync', 'log start', 'high watermark', 'messages', 'size', 'in/s', 'trend', 'out/s', 'bytes in/s'], rows);
  table('groups', ['group', 'mode', 'topics', 'members', 'lag', 'in flight', 'redelivery', 'dead-lettered'], s.groups.map((g) => [g.name, g.mode, g.topics.join(','), g.members, {text: num(g.lag), cls: g.lag > 0 ? 'warn' : ''}, g.in_flight, g.waiting_redelivery, {text: g.dead_lettered, cls: g.dead_lettered > 0 ? 'bad' : ''}]));
  $('updated').textContent = 'updated ' + new Date(s.time).toLocaleTimeString();
}
let last = null;
$('internal').addEventListener('change', () => last && render(last));
const es = new EventSource('status/stream?interval_ms=1000');
es.addEventListener('status', (e) => { last = JSON.parse(e.data); render(last); const c = $('conn'); c.textContent = 'live'; c.className = 'ok'; });
es.onerror = () => { const c = $('conn'); c.textContent = 'reconnecting'; c.className = 'bad'; };
`;

const BODY = `<header><h1>mq</h1><span id="node" class="dim">connecting...</span><span id="state"></span><span id="durability"></span>
<span id="conn" class="warn">connecting</span><span id="updated" class="dim"></span></header>
<main><div class="cards">
<div class="card"><div class="k">messages in</div><div class="v" id="in-rate">-</div></div>
<div class="card"><div class="k">messages out</div><div class="v" id="out-rate">-</div></div>
<div class="card"><div class="k">bytes in</div><div class="v" id="in-bytes">-</div></div>
<div class="card"><div class="k">bytes out</div><div class="v" id="out-bytes">-</div></div>
<div class="card"><div class="k">written since start</div><div class="v" id="messages-in">-</div></div>
<div class="card"><div class="k">read since start</div><div class="v" id="messages-out">-</div></div>
<div class="card"><div class="k">CPU</div><div class="v" id="cpu">-</div></div>
<div class="card"><div class="k">RSS</div><div class="v" id="rss">-</div></div>
<div class="card"><div class="k">event-loop delay p99</div><div class="v" id="loop">-</div></div>
<div class="card"><div class="k">fsyncs</div><div class="v" id="fsyncs">-</div></div>
<div class="card"><div class="k">WAL</div><div class="v" id="wal">-</div></div>
<div class="card"><div class="k">connections</div><div class="v" id="conns">-</div></div>
</div>
<h2>Brokers</h2><table id="brokers"></table>
<h2>Partitions <label class="dim plain"><input type="checkbox" id="internal"> internal topics</label></h2>
<table id="partitions"></table>
<h2>Groups</h2><table id="groups"></table></main>`;

const sha256 = (s: string): string => `'sha256-${crypto.createHash('sha256').update(s).digest('base64')}'`;

export const UI_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>mq dashboard</title><link rel="icon" href="data:,"><style>${STYLE}</style></head>
<body>${BODY}<script>${SCRIPT}</script></body></html>
`;

/** Only this page's own inline script and style may run, and it may only talk to the broker that served it. */
export const UI_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
