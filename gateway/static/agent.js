// Agents' console. Talks to the agent API in docs/api_contract.md (cookie session `agent_session`).
// Every text from the server (customer messages, summaries, notes) is inserted with textContent only.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const ME_KEY = 'ua_agent_me';          // who is logged in: the contract has no "who am I" call
  const POLL_MS = 15000;                 // queue refresh when events are lost
  const BACKOFF_MIN = 1000, BACKOFF_MAX = 30000;
  // Labels, statuses and company names come from the server (GET /agent/api/labels, core/labels.py);
  // until they arrive, codes show as they are.
  let FINAL_TICKET = new Set();
  let LABELS = { priority: {}, channel: {}, reason: {}, role: {}, ticketType: {}, utility: {}, speaker: {},
    customer: {}, company: {}, area: {}, statuses: [] };
  const label = (group, v) => (v == null || v === '' ? '—' : (LABELS[group] || {})[v] || String(v));

  async function loadLabels() {
    try {
      LABELS = await api('GET', '/agent/api/labels');
      FINAL_TICKET = new Set(LABELS.final_statuses || []);
      $('ticket-status').replaceChildren(...(LABELS.statuses || []).map((s) => el('option', null, s)));
    } catch { /* a 401 brings the login form; otherwise the codes stay readable */ }
  }

  // ---- state ----
  let me = null;                 // {username, role}
  let queue = [], queueAt = 0, queueSeq = 0;
  let currentId = null, current = null;
  let live = [];                 // live messages for the selected handoff, re-applied after a reload
  const shownIds = new Set();    // message ids in the transcript (POST reply, SSE and reload overlap)
  const unread = new Set();      // handoff ids with customer messages not looked at yet
  const drafts = new Map();      // handoff id → half-written reply
  let ticket = null, ticketAt = 0;
  let es = null, esBackoff = BACKOFF_MIN, esDropped = false, esTimer = null;
  let pollTimer = null, tickTimer = null, queueDebounce = null;

  // ---- helpers ----
  class HttpError extends Error {
    constructor(status, detail) { super(typeof detail === 'string' ? detail : `HTTP ${status}`); this.status = status; this.detail = detail; }
  }

  async function api(method, path, body) {
    const opts = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(path, opts);
    const raw = await res.text();
    let data = null;
    try { data = raw ? JSON.parse(raw) : null; } catch { /* not JSON */ }
    if (res.status === 401 && path !== '/agent/api/login') {
      toLogin('登录已失效，请重新登录');
      throw new HttpError(401, data && data.detail);
    }
    if (!res.ok) throw new HttpError(res.status, data && data.detail);
    return data;
  }

  // Server's Chinese message when it sent a plain one (FastAPI's 422 detail is a list: not for people).
  const errText = (e, fallback) => (e && typeof e.detail === 'string' && e.detail ? e.detail : fallback);
  const enc = encodeURIComponent;
  const parse = (s) => { try { return JSON.parse(s); } catch { return null; } };

  function el(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = String(text);
    return n;
  }

  function show(node, text, kind) {
    node.textContent = text || '';
    node.hidden = !text;
    if (kind) node.dataset.kind = kind; else delete node.dataset.kind;
  }

  const dtFmt = new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false,
  });
  function fmtDate(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    if (isNaN(d)) return String(iso);
    const p = Object.fromEntries(dtFmt.formatToParts(d).map((x) => [x.type, x.value]));
    return `${p.month}月${p.day}日 ${p.hour}:${p.minute}`;
  }
  const pad = (n) => String(n).padStart(2, '0');
  const fmtMMSS = (s) => { s = Math.max(0, Math.floor(s)); return `${pad(Math.floor(s / 60))}:${pad(s % 60)}`; };
  function fmtDuration(sec) {
    const m = Math.floor(Math.abs(sec) / 60), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mm = m % 60;
    if (d) return `${d}天${h}小时`;
    if (h) return `${h}小时${mm}分`;
    return m ? `${m}分钟` : '不到1分钟';
  }
  const agentName = (a) => (a == null ? '' : typeof a === 'string' ? a : a.username || a.name || String(a.id || ''));
  const isMine = (h) => !!me && agentName(h.agent) === me.username;

  function priorityBadge(p) {
    return el('span', `prio prio-${LABELS.priority[p] ? p : 'normal'}`, label('priority', p));
  }

  function stateText(h) {
    if (h.status === 'waiting') return '等待中';
    if (h.status === 'active') {
      const who = agentName(h.agent);
      return isMine(h) ? '处理中 · 我' : who ? `处理中 · ${who}` : '处理中';
    }
    return h.status === 'closed' ? '已结束' : h.status || '—';
  }

  function kv(dl, obj, names) {
    dl.replaceChildren();
    const entries = Object.entries(obj || {}).filter(([, v]) => v != null && v !== '');
    if (!entries.length) { dl.append(el('dd', 'muted', '无')); return; }
    for (const [k, v] of entries) {
      dl.append(el('dt', null, (names && names[k]) || k), el('dd', null, typeof v === 'object' ? JSON.stringify(v) : v));
    }
  }

  // ---- login / logout ----
  function toLogin(message) {
    stopLive();
    me = null;
    try { localStorage.removeItem(ME_KEY); } catch { /* ignore */ }
    // Nothing of the previous agent's work stays on screen.
    queue = []; currentId = null; current = null; live = []; ticket = null;
    unread.clear(); drafts.clear(); shownIds.clear();
    $('queue').replaceChildren();
    $('reply').value = '';
    $('detail').hidden = true; $('detail-empty').hidden = false;
    $('ticket-detail').hidden = true; $('ticket-results').replaceChildren(); $('ticket-q').value = '';
    show($('ticket-msg'), ''); notice('');
    $('app-view').hidden = true; $('user-info').hidden = true; $('login-view').hidden = false;
    show($('login-error'), message || '');
    $('username').focus();
  }

  async function showApp() {
    $('login-view').hidden = true; $('app-view').hidden = false; $('user-info').hidden = false;
    $('user-name').textContent = me.username;
    await loadLabels();
    $('user-role').textContent = label('role', me.role);
    $('knowledge-link').hidden = !['supervisor', 'reviewer'].includes(me.role);
    show($('login-error'), '');
    startLive();
  }

  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const username = $('username').value.trim(), password = $('password').value;
    if (!username || !password) { show($('login-error'), '请输入用户名和密码'); return; }
    $('login').disabled = true;
    try {
      const r = await api('POST', '/agent/api/login', { username, password });
      me = { username: (r && r.username) || username, role: (r && r.role) || 'agent' };
      try { localStorage.setItem(ME_KEY, JSON.stringify(me)); } catch { /* ignore */ }
      $('password').value = '';
      showApp();
    } catch (err) {
      show($('login-error'), [400, 401, 403].includes(err.status) ? '用户名或密码错误' : '登录失败，请稍后重试');
    } finally {
      $('login').disabled = false;
    }
  });

  $('logout').addEventListener('click', async () => {
    try { await api('POST', '/agent/api/logout'); } catch { /* the cookie may already be gone */ }
    toLogin('');
  });

  // ---- live updates: SSE, fallback polling, ticking clocks ----
  function startLive() {
    stopLive();
    loadQueue();
    connectEvents();
    pollTimer = setInterval(loadQueue, POLL_MS);
    tickTimer = setInterval(tick, 1000);
  }

  function stopLive() {
    if (es) { es.close(); es = null; }
    clearTimeout(esTimer); clearInterval(pollTimer); clearInterval(tickTimer); clearTimeout(queueDebounce);
  }

  function connectEvents() {
    if (es || !me) return;
    es = new EventSource('/agent/api/events');          // same origin: the session cookie goes along
    es.onopen = () => {
      esBackoff = BACKOFF_MIN;
      // Events are not replayed after a drop: catch up on what was missed.
      if (esDropped) { esDropped = false; loadQueue(); if (currentId) loadDetail(); }
    };
    es.addEventListener('queue', () => {
      clearTimeout(queueDebounce);                       // a burst of changes → one fetch
      queueDebounce = setTimeout(loadQueue, 200);
    });
    es.addEventListener('message', (e) => onLiveMessage(parse(e.data)));
    es.onerror = () => {
      // Reconnect ourselves with backoff; a 401 shows up in loadQueue and sends the agent to the login form.
      es.close(); es = null; esDropped = true;
      const wait = esBackoff * (0.75 + Math.random() / 2);
      esBackoff = Math.min(esBackoff * 2, BACKOFF_MAX);
      esTimer = setTimeout(async () => { await loadQueue(); connectEvents(); }, wait);
    };
  }

  function onLiveMessage(d) {
    if (!d || d.handoff_id == null) return;
    const hid = String(d.handoff_id);
    // The contract writes {"handoff_id", <message>}: accept the message's fields flat or under "message".
    const m = d.message && typeof d.message === 'object' ? d.message : d;
    if (hid === currentId) {
      live.push(m);
      appendTranscript(m);
    } else {
      unread.add(hid);
      const li = $('queue').querySelector(`.queue-item[data-id="${CSS.escape(hid)}"]`);
      if (li) li.classList.add('unread');
    }
  }

  function tick() {
    const since = (Date.now() - queueAt) / 1000;
    for (const w of document.querySelectorAll('#queue .qi-wait')) {
      w.textContent = fmtMMSS(Number(w.dataset.base) + since);
    }
    if (ticket) renderTimeLeft();
  }

  // ---- queue ----
  async function loadQueue() {
    if (!me) return;
    const seq = ++queueSeq;
    try {
      const r = await api('GET', '/agent/api/queue');
      if (seq !== queueSeq) return;                     // an older answer arriving late
      queue = (r && r.handoffs) || [];
      queueAt = Date.now();
      show($('queue-error'), '');
      renderQueue();
    } catch (e) {
      if (e.status !== 401 && seq === queueSeq) show($('queue-error'), '队列加载失败，稍后自动重试');
    }
  }

  function renderQueue() {
    const ul = $('queue');
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('.queue-item');
    const focusedId = focused ? focused.dataset.id : null;
    ul.replaceChildren(...queue.map(queueItem));
    $('queue-count').textContent = String(queue.length);
    $('queue-empty').hidden = queue.length > 0;
    if (focusedId) {
      const again = ul.querySelector(`.queue-item[data-id="${CSS.escape(focusedId)}"]`);
      if (again) again.focus();
    }
  }

  function queueItem(h) {
    const id = String(h.id);
    const li = el('li', `queue-item prio-${h.priority || 'normal'}`);
    li.dataset.id = id;
    li.tabIndex = 0;
    li.setAttribute('role', 'button');
    if (id === currentId) { li.classList.add('selected'); li.setAttribute('aria-current', 'true'); }
    if (unread.has(id)) li.classList.add('unread');

    const top = el('div', 'qi-top');
    const wait = el('span', 'qi-wait', fmtMMSS(h.waiting_seconds || 0));
    wait.dataset.base = String(h.waiting_seconds || 0);
    wait.title = '等待时长';
    top.append(priorityBadge(h.priority), el('span', 'qi-channel', label('channel', h.channel)),
      el('span', 'qi-company', h.company_name || '未绑定'), wait);
    const summary = String(h.summary || '').split('\n')[0];
    li.append(
      top,
      el('div', 'qi-reason', label('reason', h.reason)),
      el('div', 'qi-summary', summary || '（无摘要）'),
      el('div', `qi-state state-${h.status}`, stateText(h)),
    );
    return li;
  }

  $('queue').addEventListener('click', (e) => {
    const li = e.target.closest('.queue-item');
    if (li) select(li.dataset.id);
  });
  $('queue').addEventListener('keydown', (e) => {
    const li = e.target.closest('.queue-item');
    if (li && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); select(li.dataset.id); }
  });

  // ---- selected handoff ----
  function notice(text, kind) { show($('detail-notice'), text, kind); }

  function select(id) {
    id = String(id);
    if (currentId && currentId !== id) drafts.set(currentId, $('reply').value);
    if (currentId !== id) {
      $('reply').value = drafts.get(id) || '';
      live = [];
      current = null;
      notice('');
      show($('reply-error'), '');
    }
    currentId = id;
    unread.delete(id);
    for (const li of $('queue').querySelectorAll('.queue-item')) {
      const on = li.dataset.id === id;
      li.classList.toggle('selected', on);
      if (on) { li.classList.remove('unread'); li.setAttribute('aria-current', 'true'); } else li.removeAttribute('aria-current');
    }
    $('detail-empty').hidden = true;
    $('detail').hidden = false;
    loadDetail();
  }

  async function loadDetail() {
    const id = currentId;
    if (!id || !me) return;
    try {
      const h = await api('GET', `/agent/api/handoffs/${enc(id)}`);
      if (id !== currentId) return;                     // the agent has moved on
      const fromQueue = queue.find((q) => String(q.id) === id) || {};
      current = { ...fromQueue, ...h };
      renderDetail();
    } catch (e) {
      if (id !== currentId || e.status === 401) return;
      notice(e.status === 404 ? '该会话不存在或已结束' : '会话加载失败，请重试', 'error');
    }
  }

  function renderDetail() {
    const h = current, p = h.packet || {};
    const meta = $('detail-meta');
    meta.replaceChildren(
      priorityBadge(h.priority || p.priority),
      el('span', 'tag', label('channel', h.channel || p.channel)),
      el('span', 'tag company', h.company_name || '未绑定'),
      el('span', 'tag', label('reason', h.reason || p.reason)),
      el('span', `tag state-${h.status}`, stateText(h)),
    );

    $('summary').textContent = p.summary || h.summary || '（无摘要）';
    kv($('customer'), p.customer, LABELS.customer);
    kv($('slots'), p.slots);

    const intents = $('intents');
    intents.replaceChildren();
    for (const it of p.recent_intents || []) {
      const li = el('li');
      const conf = typeof it.confidence === 'number' ? `${Math.round(it.confidence * 100)}%` : '';
      li.append(el('code', null, it.intent || '—'), el('span', 'conf', conf));
      if (it.text) li.append(el('span', 'muted', `「${it.text}」`));
      intents.append(li);
    }
    if (!intents.childElementCount) intents.append(el('li', 'muted', '无'));

    const tickets = $('packet-tickets');
    tickets.replaceChildren();
    for (const t of p.tickets || []) {
      const li = el('li');
      const b = el('button', 'ticket-link', t.ticket_no);
      b.type = 'button';
      b.addEventListener('click', () => openTicket(t.ticket_no));
      li.append(b, el('span', 'muted', t.due_at ? `时限 ${fmtDate(t.due_at)}` : '无时限'));
      tickets.append(li);
    }
    if (!tickets.childElementCount) tickets.append(el('li', 'muted', '无'));

    loadNotices(h.id);

    // Whole conversation; the packet's own transcript (bot part only) if the handoff has none.
    $('transcript').replaceChildren();
    shownIds.clear();
    for (const m of h.transcript || p.transcript || []) appendTranscript(m, false);
    for (const m of live) appendTranscript(m, false);
    const tr = $('transcript');
    tr.scrollTop = tr.scrollHeight;

    const active = h.status === 'active', mine = isMine(h);
    $('claim').hidden = h.status !== 'waiting';
    $('close').hidden = !(active && (mine || (me && me.role === 'supervisor')));
    $('reply-form').hidden = !(active && mine);
  }

  // Outage notices active or starting within 24 hours where the customer lives (their tickets, the packet).
  async function loadNotices(id) {
    let found = [];
    try { found = (await api('GET', `/agent/api/handoffs/${enc(id)}/notices`)).notices || []; } catch { /* none shown */ }
    if (String(id) !== currentId) return;
    $('handoff-notices-list').replaceChildren(...found.map((n) => {
      const li = el('li');
      li.append(el('span', `tag ${n.active ? 'notice-active' : ''}`, n.active ? '进行中' : '即将开始'),
        el('span', 'pre', n.text), el('span', 'muted', `客户地址：${n.customer_address}`));
      return li;
    }));
    $('handoff-notices').hidden = found.length === 0;
  }

  function appendTranscript(m, scroll = true) {
    if (!m) return;
    if (m.id != null) {
      if (shownIds.has(String(m.id))) return;
      shownIds.add(String(m.id));
    }
    const role = LABELS.speaker[m.role] ? m.role : 'system';
    const li = el('li', `msg msg-${role}`);
    const head = el('div', 'msg-head');
    const who = role === 'agent' && m.author ? `${LABELS.speaker.agent} · ${m.author}` : LABELS.speaker[role];
    head.append(el('span', 'msg-who', who), el('time', 'msg-time', m.at ? fmtDate(m.at) : ''));
    li.append(head, el('div', 'msg-text', m.text == null ? '' : m.text));
    const tr = $('transcript');
    const stick = tr.scrollHeight - tr.scrollTop - tr.clientHeight < 60;
    tr.append(li);
    if (scroll && stick) tr.scrollTop = tr.scrollHeight;
  }

  $('claim').addEventListener('click', async () => {
    const id = currentId, btn = $('claim');
    btn.disabled = true;
    try {
      await api('POST', `/agent/api/handoffs/${enc(id)}/claim`);
      notice('已接入，可以回复客户', 'ok');
    } catch (e) {
      if (e.status === 409) notice('已被其他客服接入', 'error');
      else if (e.status !== 401) notice(errText(e, '接入失败，请重试'), 'error');
    } finally {
      btn.disabled = false;
    }
    if (!me) return;
    await Promise.all([loadDetail(), loadQueue()]);
    if (current && isMine(current) && id === currentId) $('reply').focus();
  });

  async function sendReply() {
    const text = $('reply').value.trim();
    if (!text || !currentId) return;
    const id = currentId, btn = $('reply-send');
    btn.disabled = true;
    show($('reply-error'), '');
    try {
      const m = await api('POST', `/agent/api/handoffs/${enc(id)}/messages`, { text });
      drafts.delete(id);
      if (id === currentId) {
        $('reply').value = '';                        // cleared only once the gateway has it
        appendTranscript(m && m.text != null ? m : { role: 'agent', text, at: new Date().toISOString() });
      }
    } catch (e) {
      if (e.status !== 401 && id === currentId) show($('reply-error'), `发送失败，请重试${e.status === 409 || e.status === 403 ? `（${errText(e, '会话状态已变化')}）` : ''}`);
    } finally {
      btn.disabled = false;
    }
  }

  $('reply-form').addEventListener('submit', (e) => { e.preventDefault(); sendReply(); });
  $('reply').addEventListener('keydown', (e) => {
    // Enter sends, Shift+Enter is a new line; not while a Chinese IME is composing.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); sendReply(); }
  });

  $('close').addEventListener('click', async () => {
    const id = currentId, btn = $('close');
    btn.disabled = true;
    let closed = false;
    try {
      await api('POST', `/agent/api/handoffs/${enc(id)}/close`);
      closed = true;
      drafts.delete(id);
      notice('会话已结束，智能客服将邀请客户评价', 'ok');
    } catch (e) {
      if (e.status !== 401) notice(errText(e, '结束会话失败，请重试'), 'error');
    } finally {
      btn.disabled = false;
    }
    if (!me) return;
    loadQueue();
    if (closed && id === currentId) {
      $('reply-form').hidden = true; $('close').hidden = true; $('claim').hidden = true;
      // The closed handoff may have left the API (404): keep the success notice then.
      try {
        const h = await api('GET', `/agent/api/handoffs/${enc(id)}`);
        if (id === currentId) { current = { ...current, ...h }; renderDetail(); }
      } catch { /* keep what is shown */ }
    } else {
      loadDetail();
    }
  });

  // ---- tickets ----
  $('ticket-search-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = $('ticket-q').value.trim();
    const msg = $('ticket-msg'), list = $('ticket-results');
    if (!q) { show(msg, '请输入工单号、手机号或户号'); return; }
    show(msg, '查询中…');
    try {
      const r = await api('GET', `/agent/api/tickets?q=${enc(q)}`);
      const found = Array.isArray(r) ? r : (r && r.tickets) || [];
      list.replaceChildren(...found.map((t) => {
        const li = el('li');
        const b = el('button', 'ticket-result', `${t.ticket_no} · ${label('ticketType', t.type)} · ${t.status || ''}`);
        b.type = 'button';
        b.dataset.no = t.ticket_no;
        b.addEventListener('click', () => openTicket(t.ticket_no));
        li.append(b);
        return li;
      }));
      show(msg, found.length ? `找到 ${found.length} 张工单` : '未找到相关工单');
      if (found.length === 1) openTicket(found[0].ticket_no);
    } catch (err) {
      if (err.status !== 401) show(msg, errText(err, '查询失败，请重试'));
    }
  });

  async function openTicket(no) {
    try {
      renderTicket(await api('GET', `/agent/api/tickets/${enc(no)}`));
    } catch (e) {
      if (e.status !== 401) show($('ticket-msg'), e.status === 404 ? `未找到工单 ${no}` : '工单加载失败，请重试');
    }
  }

  function renderTicket(t) {
    ticket = t;
    ticketAt = Date.now();
    const info = $('ticket-info');
    info.replaceChildren();
    const row = (k, v) => { const dd = el('dd', null, v); info.append(el('dt', null, k), dd); return dd; };
    row('工单号', t.ticket_no);
    row('类型', label('ticketType', t.type));
    row('公司', t.company_name || '未绑定');
    row('状态', t.status || '—');
    row('优先级', '').append(priorityBadge(t.priority));
    row('受理时间', fmtDate(t.created_at));
    row('办结时限', t.due_text || (t.due_at ? fmtDate(t.due_at) : '无时限'));
    const left = row('剩余时间', '');
    left.id = 'ticket-left';
    renderTimeLeft();
    // Optional fields (the gateway sends them masked); shown only when present.
    const extra = [['业务', label('utility', t.utility)], ['联系电话', t.contact_phone], ['户号', t.account_no],
      ['地址', t.address], ['描述', t.description], ['具备施工条件之日', t.conditions_met_on],
      ['时限依据', t.sla && t.sla.citation]];
    for (const [k, v] of extra) if (v && v !== '—') row(k, v).classList.add('pre');

    const hist = $('ticket-history');
    hist.replaceChildren();
    for (const h of t.history || []) {
      const li = el('li');
      li.append(el('time', 'muted', fmtDate(h.at)), el('strong', null, h.status || ''), el('span', 'muted', h.by || ''));
      if (h.note) li.append(el('div', 'pre', h.note));
      hist.append(li);
    }
    if (!hist.childElementCount) hist.append(el('li', 'muted', '无'));

    const sel = $('ticket-status');
    if ([...sel.options].some((o) => o.value === t.status)) sel.value = t.status;
    // 具备施工条件 exists for installation tickets only; its date starts the clock
    const readyOption = [...sel.options].find((o) => o.value === '具备施工条件');
    if (readyOption) readyOption.hidden = t.type !== 'installation';
    toggleConditions();
    $('ticket-note').value = '';
    show($('ticket-error'), ''); show($('ticket-ok'), '');
    $('ticket-detail').hidden = false;
  }

  // Counts down from the server's time_left_seconds (the server's clock, not the browser's).
  function renderTimeLeft() {
    const cell = $('ticket-left');
    if (!cell || !ticket) return;
    let left = null;
    if (typeof ticket.time_left_seconds === 'number') left = ticket.time_left_seconds - (Date.now() - ticketAt) / 1000;
    else if (ticket.due_at) left = (new Date(ticket.due_at) - Date.now()) / 1000;
    const final = FINAL_TICKET.has(ticket.status);
    const overdue = ticket.overdue === true || (!final && left != null && left < 0);
    cell.replaceChildren();
    if (left == null || (final && !overdue)) cell.textContent = '—';
    else cell.textContent = left >= 0 ? fmtDuration(left) : `超出 ${fmtDuration(left)}`;
    if (overdue) cell.append(el('span', 'overdue', '已超时'));
  }

  function toggleConditions() {
    const ready = $('ticket-status').value === '具备施工条件';
    $('ticket-conditions').hidden = !ready;
    $('ticket-conditions-label').hidden = !ready;
  }
  $('ticket-status').addEventListener('change', toggleConditions);

  $('ticket-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!ticket) return;
    const status = $('ticket-status').value, noteEl = $('ticket-note'), note = noteEl.value.trim();
    show($('ticket-ok'), '');
    if (status === '不予受理' && !note) {
      show($('ticket-error'), '选择“不予受理”时必须填写说明');
      noteEl.setAttribute('aria-invalid', 'true');
      noteEl.focus();
      return;
    }
    noteEl.removeAttribute('aria-invalid');
    show($('ticket-error'), '');
    const btn = $('ticket-update');
    btn.disabled = true;
    try {
      const body = { status, note };
      if (status === '具备施工条件' && $('ticket-conditions').value) body.conditions_met_on = $('ticket-conditions').value;
      const t = await api('POST', `/agent/api/tickets/${enc(ticket.ticket_no)}/status`, body);
      renderTicket(t || { ...ticket, status });
      show($('ticket-ok'), '状态已更新');
    } catch (err) {
      if (err.status !== 401) show($('ticket-error'), errText(err, '更新失败，请重试'));
    } finally {
      btn.disabled = false;
    }
  });

  // ---- start: reuse the stored login if the cookie still works (a 401 brings the login form) ----
  try { me = parse(localStorage.getItem(ME_KEY) || 'null'); } catch { me = null; }
  if (me && me.username) showApp(); else toLogin('');
})();
