// Customer chat widget. Talks to the widget API in docs/api_contract.md.
// All message text goes into the page through textContent only (never innerHTML): it comes from customers
// and from agents, so it must never be parsed as HTML.
'use strict';

(() => {
  // One conversation per company the page is bound to (embed.js data-company).
  const COMPANY = new URLSearchParams(location.search).get('company') || '';
  const TOKEN_KEY = 'ua_chat_token' + (COMPANY ? `:${COMPANY}` : '');
  const MAX_LEN = 500;
  const COUNTER_FROM = 450;          // show the character counter only near the limit
  const BACKOFF_MIN = 1000, BACKOFF_MAX = 30000;

  const $ = (id) => document.getElementById(id);
  const messagesEl = $('messages'), scroller = $('scroller'), input = $('input'), sendBtn = $('send');
  const banner = $('banner'), typing = $('typing'), counter = $('counter'), conn = $('conn');
  const ratingEl = $('rating'), ratingMsg = $('rating-msg'), emptyHint = $('empty-hint');

  // In the embed.js iframe the host panel already has a title bar.
  if (window.self !== window.top) document.documentElement.classList.add('embedded');

  let token = null;
  const seenIds = new Set();          // message ids already shown: POST replies, SSE and history overlap
  const buttonTitles = new Map();     // payload → title, so a clicked chip shows its title after a reload too
  let queuePosition = null;

  // ---- storage (localStorage can throw in private mode or in a blocked third-party iframe) ----
  const store = {
    get() { try { return localStorage.getItem(TOKEN_KEY); } catch { return null; } },
    set(v) { try { localStorage.setItem(TOKEN_KEY, v); } catch { /* keep it in memory only */ } },
    del() { try { localStorage.removeItem(TOKEN_KEY); } catch { /* ignore */ } },
  };

  // ---- HTTP ----
  class HttpError extends Error {
    constructor(status, detail) { super(typeof detail === 'string' && detail ? detail : `HTTP ${status}`); this.status = status; }
  }

  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) {
      let detail = '';
      try { detail = (await res.json()).detail; } catch { /* not JSON */ }
      throw new HttpError(res.status, detail);
    }
    return res.status === 204 ? null : res.json();
  }

  async function newSession() {
    token = null;
    const s = await api('POST', '/api/widget/session', COMPANY ? { company: COMPANY } : undefined);
    token = s.token;
    store.set(token);
  }

  // Runs fn; if the stored token is no longer accepted (expired, key rotated), starts a new session once.
  async function withSession(fn) {
    if (!token) await newSession();
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof HttpError) || e.status !== 401) throw e;
      store.del();
      await newSession();
      restartEvents();
      return fn();
    }
  }

  // ---- rendering ----
  const timeFmt = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false });
  function fmtTime(iso) {
    const d = iso ? new Date(iso) : new Date();
    return isNaN(d) ? '' : timeFmt.format(d);
  }

  function nearBottom() { return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80; }
  function scrollDown() { scroller.scrollTop = scroller.scrollHeight; }

  const SPEAKER = { customer: '您', bot: '智能客服', agent: '人工客服', system: '系统消息' };

  function buildMsg(role, text, at) {
    const li = document.createElement('li');
    li.className = `msg msg-${SPEAKER[role] ? role : 'system'}`;
    const who = document.createElement('span');
    // Agent replies carry a visible label; for the others it is for screen readers only.
    who.className = role === 'agent' ? 'msg-label' : 'sr-only';
    who.textContent = SPEAKER[role] || SPEAKER.system;
    const body = document.createElement('div');
    body.className = 'msg-text';
    body.textContent = text;                       // CSS white-space: pre-wrap shows the newlines
    li.append(who, body);
    if (role !== 'system') {
      const t = document.createElement('time');
      t.className = 'msg-time';
      t.textContent = fmtTime(at);
      if (at) t.dateTime = at;
      li.append(t);
    }
    return li;
  }

  function addChips(li, buttons) {
    const box = document.createElement('div');
    box.className = 'chips';
    for (const b of buttons) {
      if (!b || b.payload == null) continue;
      const title = b.title || b.payload;
      buttonTitles.set(b.payload, title);
      const chip = document.createElement('button');
      chip.type = 'button';
      chip.className = 'chip';
      chip.textContent = title;
      chip.addEventListener('click', () => send(b.payload, title));
      box.append(chip);
    }
    if (box.childElementCount) li.append(box);
  }

  // ---- 有用 / 没用 under a knowledge answer (messages that carry `answer`) ----
  const RATED_KEY = `${TOKEN_KEY}:rated`;       // answers already rated here: no buttons again after a reload
  const rated = {
    ids() { try { return JSON.parse(localStorage.getItem(RATED_KEY) || '[]'); } catch { return []; } },
    has(id) { return this.ids().includes(String(id)); },
    add(id) {
      try { localStorage.setItem(RATED_KEY, JSON.stringify([...this.ids(), String(id)].slice(-200))); } catch { /* memory only */ }
    },
  };

  function addFeedback(li, messageId) {
    if (rated.has(messageId)) return;
    const box = document.createElement('div');
    box.className = 'feedback';
    box.setAttribute('role', 'group');
    box.setAttribute('aria-label', '这条解答有帮助吗');
    const note = document.createElement('span');
    note.className = 'feedback-note';
    note.setAttribute('role', 'status');
    const buttons = [['有用', true], ['没用', false]].map(([title, helpful]) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'feedback-btn';
      b.dataset.helpful = String(helpful);
      b.textContent = title;
      b.addEventListener('click', async () => {
        buttons.forEach((x) => { x.disabled = true; });
        note.textContent = '';
        try {
          await withSession(() => api('POST', `/api/widget/messages/${encodeURIComponent(messageId)}/feedback`, { helpful }));
          rated.add(messageId);
          buttons.forEach((x) => x.remove());
          note.textContent = '谢谢您的反馈';
          box.classList.add('done');
        } catch {
          buttons.forEach((x) => { x.disabled = false; });   // a second click is the retry
          note.textContent = '发送失败，请重试';
        }
      });
      return b;
    });
    box.append(...buttons, note);
    li.append(box);
  }

  function append(li) {
    const stick = nearBottom();
    messagesEl.append(li);
    emptyHint.hidden = true;
    if (stick || li.classList.contains('msg-customer')) scrollDown();
  }

  // A server message. Skips ids already shown; a customer message that echoes one we showed locally takes
  // over that element instead of appearing twice.
  function renderMessage(m) {
    if (!m || typeof m !== 'object') return;
    if (m.id != null) {
      if (seenIds.has(String(m.id))) return;
      seenIds.add(String(m.id));
    }
    const text = m.text == null ? '' : String(m.text);
    if (m.role === 'customer') {
      const local = [...messagesEl.querySelectorAll('.msg-customer[data-local]')]
        .find((el) => !el.classList.contains('msg-failed') && (el.dataset.sent === text));
      if (local) {
        delete local.dataset.local;
        if (m.id != null) local.dataset.id = m.id;
        return;
      }
    }
    const shown = m.role === 'customer' && buttonTitles.has(text) ? buttonTitles.get(text) : text;
    const li = buildMsg(m.role, shown, m.at);
    if (m.id != null) li.dataset.id = m.id;
    if (Array.isArray(m.buttons) && m.buttons.length) addChips(li, m.buttons);
    if (m.role === 'bot' && m.answer && m.id != null) addFeedback(li, m.id);
    append(li);
  }

  // ---- handoff state banner ----
  function setState(state, position) {
    if (typeof position === 'number') queuePosition = position;
    document.body.dataset.state = state || 'bot';
    if (state === 'waiting') {
      // queue_position is 1-based (1 = next to be served), so the people ahead are position - 1.
      const ahead = typeof queuePosition === 'number' ? Math.max(queuePosition - 1, 0) : null;
      banner.textContent = ahead == null ? '正在为您转接人工客服，请稍候'
        : ahead === 0 ? '正在为您转接人工客服，您是下一位'
          : `正在为您转接人工客服，您前面还有 ${ahead} 位`;
      banner.className = 'banner-waiting';
      banner.hidden = false;
    } else if (state === 'agent') {
      banner.textContent = '人工客服正在为您服务';
      banner.className = 'banner-agent';
      banner.hidden = false;
    } else {
      queuePosition = null;
      banner.hidden = true;
    }
  }

  // ---- sending ----
  // Sends run one after another so that replies appear in the order the customer asked.
  let chain = Promise.resolve();
  let pending = 0;

  function showTyping(on) {
    typing.hidden = !on;
    if (on && nearBottom()) scrollDown();
  }

  // One id per customer message, reused by its retries: the gateway answers a repeated client_id from its
  // cache instead of running a second turn (a retry after a lost reply must not ask the bot twice).
  // crypto.randomUUID exists only on HTTPS/localhost; getRandomValues works everywhere.
  function clientId() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  function send(text, shownAs) {
    if (!text || !text.trim()) return;
    const li = buildMsg('customer', shownAs || text, null);
    li.dataset.local = '1';
    li.dataset.sent = text;
    append(li);
    enqueue(li, text, clientId());
  }

  function enqueue(li, text, cid) {
    pending += 1;
    showTyping(true);
    chain = chain.then(() => post(li, text, cid)).finally(() => {
      pending -= 1;
      if (!pending) showTyping(false);
    });
  }

  async function post(li, text, cid) {
    try {
      // The reply holds the answers only (not the customer's own message), which is shown already.
      const data = await withSession(() => api('POST', '/api/widget/messages', { text, client_id: cid }));
      li.classList.remove('msg-failed');
      (data.messages || []).forEach(renderMessage);
      if (data.state) setState(data.state);
    } catch (e) {
      markFailed(li, text, cid, e);
    }
  }

  // The message stays on screen with a retry button: what the customer typed is never lost.
  function markFailed(li, text, cid, error) {
    li.classList.add('msg-failed');
    if (li.querySelector('.send-error')) return;
    const note = document.createElement('div');
    note.className = 'send-error';
    note.setAttribute('role', 'alert');
    const span = document.createElement('span');
    // Too long, too fast, assistant down: the gateway's own Chinese reason helps; other errors say nothing useful.
    const why = error instanceof HttpError && [413, 429, 503].includes(error.status) && typeof error.message === 'string'
      ? `（${error.message}）` : '';
    span.textContent = `发送失败，请重试${why}`;
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'retry';
    retry.textContent = '重试';
    retry.addEventListener('click', () => {
      note.remove();
      li.classList.remove('msg-failed');
      enqueue(li, text, cid);
    });
    note.append(span, retry);
    li.append(note);
  }

  function updateCounter() {
    const n = input.value.length;
    counter.hidden = n < COUNTER_FROM;
    counter.textContent = `${n}/${MAX_LEN}`;
    counter.classList.toggle('full', n >= MAX_LEN);
    // Grow the textarea with its content, up to about five lines (CSS max-height).
    input.style.height = 'auto';
    input.style.height = `${input.scrollHeight}px`;
  }

  function submitInput() {
    const text = input.value.trim();
    if (!text) { input.focus(); return; }
    send(text.slice(0, MAX_LEN));
    input.value = '';
    updateCounter();
    input.focus();
  }

  $('composer').addEventListener('submit', (e) => { e.preventDefault(); submitInput(); });
  $('quick').addEventListener('click', (e) => {
    const chip = e.target.closest('[data-send]');
    if (chip) send(chip.dataset.send);
  });
  input.addEventListener('input', updateCounter);
  input.addEventListener('keydown', (e) => {
    // Enter sends, Shift+Enter is a new line. While a Chinese IME is composing, Enter picks the candidate.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submitInput();
    }
  });

  // ---- rating ----
  const stars = [...ratingEl.querySelectorAll('button[data-score]')];
  function lightStars(n) { stars.forEach((b) => b.classList.toggle('lit', Number(b.dataset.score) <= n)); }

  function showRating() {
    ratingEl.hidden = false;
    ratingEl.classList.remove('done');
    ratingMsg.textContent = '';
    stars.forEach((b) => { b.disabled = false; });
    lightStars(0);
    scrollDown();
  }

  stars.forEach((b) => {
    const n = Number(b.dataset.score);
    b.addEventListener('mouseenter', () => lightStars(n));
    b.addEventListener('focus', () => lightStars(n));
    b.addEventListener('mouseleave', () => lightStars(0));
    b.addEventListener('click', async () => {
      stars.forEach((s) => { s.disabled = true; });
      lightStars(n);
      try {
        await withSession(() => api('POST', '/api/widget/rating', { score: n }));
        ratingEl.classList.add('done');
        ratingMsg.textContent = '感谢您的评价，祝您生活愉快！';
      } catch {
        // Buttons come back so a second click is the retry.
        stars.forEach((s) => { s.disabled = false; });
        ratingMsg.textContent = '发送失败，请重试';
      }
    });
  });

  // ---- server-sent events ----
  let es = null, backoff = BACKOFF_MIN, retryTimer = null, dropped = false;

  function connectEvents() {
    clearTimeout(retryTimer);
    if (es || !token) return;
    es = new EventSource(`/api/widget/events?token=${encodeURIComponent(token)}`);
    es.onopen = () => {
      backoff = BACKOFF_MIN;
      conn.hidden = true;
      // Anything sent while we were away is not replayed: fetch the history again (ids are deduplicated).
      if (dropped) { dropped = false; loadHistory().catch(() => {}); }
    };
    // `event: message` (and unnamed events) carry one message.
    es.addEventListener('message', (e) => renderMessage(parse(e.data)));
    es.addEventListener('state', (e) => {
      const d = parse(e.data) || {};
      setState(d.state, d.queue_position);
    });
    es.addEventListener('rating', showRating);
    es.onerror = () => {
      // Close and reconnect ourselves: the browser's own retry gives up for good on a 401 or a non-SSE reply.
      es.close();
      es = null;
      dropped = true;
      conn.hidden = false;
      const wait = backoff * (0.75 + Math.random() / 2);   // jitter, so that many widgets don't reconnect at once
      backoff = Math.min(backoff * 2, BACKOFF_MAX);
      retryTimer = setTimeout(reconnect, wait);
    };
  }

  async function reconnect() {
    try {
      await loadHistory();        // also renews the session if the token was refused
      connectEvents();
    } catch {
      if (es) return;
      retryTimer = setTimeout(reconnect, backoff);
      backoff = Math.min(backoff * 2, BACKOFF_MAX);
    }
  }

  function restartEvents() {
    if (es) { es.close(); es = null; }
    connectEvents();
  }

  function parse(s) { try { return JSON.parse(s); } catch { return null; } }

  async function loadHistory() {
    const data = await withSession(() => api('GET', '/api/widget/messages'));
    (data.messages || []).forEach(renderMessage);
    setState(data.state);
  }

  // Reconnect at once when the phone comes back online or the tab is shown again.
  const nudge = () => {
    if (es || !token || document.hidden) return;
    clearTimeout(retryTimer);
    backoff = BACKOFF_MIN;
    reconnect();
  };
  window.addEventListener('online', nudge);
  document.addEventListener('visibilitychange', nudge);

  // ---- start ----
  async function start() {
    token = store.get();
    try {
      await loadHistory();
      connectEvents();
    } catch {
      // Gateway unreachable: keep the page usable (sending retries by itself) and try again later.
      conn.hidden = false;
      retryTimer = setTimeout(reconnect, backoff);
      backoff = Math.min(backoff * 2, BACKOFF_MAX);
    }
  }

  updateCounter();
  start();
})();
