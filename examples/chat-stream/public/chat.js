// The chat page: plain JavaScript, no build step. The conversation is not kept here: on every load the page streams
// its session from mq from the start (the `chat` topic, filtered by the session's key), so a reload shows the whole
// history and then keeps following the answer being written. While the page lives, EventSource reconnects by itself
// with Last-Event-ID (a broker died, the lb moved the stream); when it gives up (an error status, an expired read
// token) the page opens a new stream at the last position it saw, passed as `last_event_id=`.

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const session = params.get('session') || sessionStorage.getItem('chat.session') || `s-${crypto.randomUUID()}`;
sessionStorage.setItem('chat.session', session);
$('session').textContent = session;

const answers = new Map(); // answer id -> {el, text, status, cancel, words, done}
const asked = new Set(); // answer ids whose question is shown
let lastEventId = null; // the position after the last event applied
let source = null;
let opens = 0;
let reopens = -1; // the first open is not a reopen
let config = null;

function problem(text) {
  const li = document.createElement('li');
  li.textContent = text;
  $('problems').append(li);
}

function conn(state) {
  $('conn').textContent = state;
  $('conn').className = state;
}

function turn(kind) {
  const el = document.createElement('div');
  el.className = `turn ${kind}`;
  $('conversation').append(el);
  return el;
}

function showQuestion(e) {
  if (asked.has(e.answer)) return problem(`question of ${e.answer} shown twice`);
  asked.add(e.answer);
  const el = turn('user');
  el.dataset.answer = e.answer;
  el.textContent = e.text;
}

function startAnswer(e) {
  if (answers.has(e.answer)) return problem(`answer ${e.answer} started twice`);
  const el = turn('answer');
  el.dataset.answer = e.answer;
  el.dataset.status = 'streaming';
  const meta = document.createElement('div');
  meta.className = 'meta';
  const status = document.createElement('span');
  status.className = 'status';
  status.textContent = 'streaming';
  const cancel = document.createElement('button');
  cancel.className = 'cancel';
  cancel.type = 'button';
  cancel.textContent = 'Cancel';
  cancel.addEventListener('click', () => void cancelAnswer(e.answer, cancel));
  meta.append(status, cancel);
  const text = document.createElement('div');
  text.className = 'text';
  el.append(text, meta);
  answers.set(e.answer, {el, text, status, cancel, words: 0, done: false});
}

function addWord(e) {
  const a = answers.get(e.answer);
  if (!a) return problem(`word ${e.seq} of ${e.answer} before its start`);
  // words arrive in order (one session = one key = one partition): anything else is a loss or a repeat
  if (e.seq !== a.words) return problem(`answer ${e.answer}: word ${e.seq} arrived where word ${a.words} was due`);
  if (a.done) return problem(`answer ${e.answer}: word ${e.seq} after the answer ended`);
  a.text.textContent += (a.words === 0 ? '' : ' ') + e.word;
  a.words++;
}

function finish(e, status) {
  const a = answers.get(e.answer);
  if (!a) return problem(`end of ${e.answer} before its start`);
  if (a.done) return problem(`answer ${e.answer} ended twice`);
  if (e.words !== a.words) problem(`answer ${e.answer} ended after ${e.words} words, the page has ${a.words}`);
  a.done = true;
  a.el.dataset.status = status;
  a.status.textContent = status;
  a.status.className = `status ${status}`;
  a.cancel.remove();
}

function apply(e) {
  if (e.type === 'user') showQuestion(e);
  else if (e.type === 'start') startAnswer(e);
  else if (e.type === 'token') addWord(e);
  else if (e.type === 'end') finish(e, 'done');
  else if (e.type === 'cancelled') finish(e, 'cancelled');
}

async function post(path, body) {
  const res = await fetch(path, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)});
  const json = await res.json();
  if (!res.ok) throw new Error(json.error || `${path}: HTTP ${res.status}`);
  return json;
}

async function cancelAnswer(answer, button) {
  button.disabled = true;
  button.textContent = 'cancelling';
  try {
    await post('/api/cancel', {session, answer});
  } catch (err) {
    button.disabled = false;
    button.textContent = 'Cancel';
    problem(`cancel failed: ${err.message}`);
  }
}

async function open() {
  let url = `${config.stream_url}?key=${encodeURIComponent(session)}&from=earliest`;
  if (config.auth) {
    // a fresh read token for every open: EventSource reuses the URL on its own reconnects until the token expires
    const {token, expires_at_ms} = await post('/api/token', {session});
    url += `&access_token=${encodeURIComponent(token)}`;
    $('conn').dataset.tokenExpiresAt = String(expires_at_ms);
  }
  if (lastEventId) url += `&last_event_id=${encodeURIComponent(lastEventId)}`;
  const s = new EventSource(url);
  source = s;
  s.onopen = () => {
    $('conn').dataset.opens = String(++opens);
    conn('live');
  };
  s.onmessage = (m) => {
    lastEventId = m.lastEventId;
    apply(JSON.parse(m.data).value);
  };
  // the stream moved past other sessions' messages: remember it, so a reopen does not scan them again
  s.addEventListener('checkpoint', (m) => (lastEventId = m.lastEventId));
  s.addEventListener('gap', (m) => problem(`retention deleted part of this conversation: ${m.data}`));
  s.onerror = () => {
    conn('reconnecting');
    // CLOSED: EventSource gave up (an error answer such as an expired token); otherwise it retries by itself
    if (s.readyState === EventSource.CLOSED && source === s) setTimeout(() => void reopen(), 1000);
  };
}

async function reopen() {
  $('conn').dataset.reopens = String(++reopens);
  try {
    await open();
  } catch (err) {
    conn('reconnecting');
    setTimeout(() => void reopen(), 1000);
  }
}

$('ask').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = $('prompt').value.trim();
  if (!text) return;
  $('prompt').value = '';
  post('/api/ask', {session, text}).catch((err) => problem(`sending failed: ${err.message}`));
});

config = await (await fetch('/api/config')).json();
await reopen();
