// Analytics page: the figures of GET /agent/api/stats as cards, charts (Chart.js, served by the gateway) and
// tables, each table exportable as CSV. Same login as the console (the agent_session cookie). Every text from
// the server (customers' questions above all) goes into the page through textContent only.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const COLORS = ['#1565c0', '#2e7d32', '#e65100', '#6a1b9a', '#00838f', '#c62828', '#5d4037', '#455a64', '#ad1457'];
  const TOP_IN_CHART = 10;
  let LABELS = { channel: {}, company: {}, reason: {}, ticketType: {} };
  const charts = new Map();

  class HttpError extends Error {
    constructor(status, detail) { super(typeof detail === 'string' ? detail : `HTTP ${status}`); this.status = status; this.detail = detail; }
  }

  async function api(path) {
    const res = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    let data = null;
    try { data = await res.json(); } catch { /* not JSON */ }
    if (!res.ok) throw new HttpError(res.status, data && data.detail);
    return data;
  }

  function el(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = String(text);
    return n;
  }

  const label = (group, v) => (v == null || v === '' ? '—' : (LABELS[group] || {})[v] || String(v));
  const pct = (x) => (x == null ? '—' : `${(x * 100).toFixed(1)}%`);
  function seconds(s) {
    if (s == null) return '—';
    if (s < 60) return `${Math.round(s)}秒`;
    const m = Math.floor(s / 60), r = Math.round(s % 60);
    return r ? `${m}分${r}秒` : `${m}分钟`;
  }
  const shortDate = (iso) => { const [, m, d] = iso.split('-'); return `${Number(m)}月${Number(d)}日`; };
  const cut = (text, n) => (text.length > n ? `${text.slice(0, n)}…` : text);

  function notice(text, link) {
    const box = $('notice');
    box.replaceChildren();
    if (!text) { box.hidden = true; return; }
    box.append(text);
    if (link) {
      const a = el('a', null, link.text);
      a.href = link.href;
      box.append(' ', a);
    }
    box.hidden = false;
  }

  // ---- filters: kept in the address, so a reload or a shared link shows the same figures ----
  function filters() {
    const q = new URLSearchParams();
    q.set('days', $('f-days').value);
    if ($('f-channel').value) q.set('channel', $('f-channel').value);
    if ($('f-company').value && !$('f-company-label').hidden) q.set('company', $('f-company').value);
    return q;
  }

  function fromAddress() {
    const q = new URLSearchParams(location.search);
    const pick = (select, value) => { if (value && [...select.options].some((o) => o.value === value)) select.value = value; };
    pick($('f-days'), q.get('days'));
    pick($('f-channel'), q.get('channel'));
    return q.get('company') || '';
  }

  // ---- rendering ----
  function table(id, headers, rows) {
    const t = $(id);
    t.replaceChildren();
    const head = el('thead'), tr = el('tr');
    headers.forEach((h) => tr.append(el('th', null, h)));
    head.append(tr);
    const body = el('tbody');
    if (!rows.length) {
      const empty = el('tr'), td = el('td', 'muted', '暂无数据');
      td.colSpan = headers.length;
      empty.append(td);
      body.append(empty);
    }
    for (const row of rows) {
      const r = el('tr');
      row.forEach((cell) => r.append(el('td', typeof cell === 'number' ? 'num' : null, cell)));
      body.append(r);
    }
    t.append(head, body);
  }

  function chart(id, config) {
    if (charts.has(id)) charts.get(id).destroy();
    const made = new window.Chart($(id), config);
    charts.set(id, made);
    return made;
  }

  function bars(id, labels, datasets, { horizontal = false, stacked = false } = {}) {
    return chart(id, {
      type: 'bar',
      data: {
        labels,
        datasets: datasets.map((d, i) => ({ backgroundColor: COLORS[i % COLORS.length], borderRadius: 3, maxBarThickness: 36, ...d })),
      },
      options: {
        indexAxis: horizontal ? 'y' : 'x',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: datasets.length > 1, position: 'bottom' } },
        scales: {
          x: { stacked, beginAtZero: true, ticks: { precision: 0 } },
          y: { stacked, beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
  }

  function kpi(id, value, sub) {
    $(id).textContent = value;
    $(`${id}-sub`).textContent = sub || '';
  }

  function render(s) {
    const t = s.tickets;
    kpi('kpi-conversations', s.conversations, `自助解决 ${s.contained}`);
    kpi('kpi-contained', pct(s.contained_rate), `${s.contained} / ${s.conversations}`);
    kpi('kpi-handoff', pct(s.handoff_rate), `${s.handoffs} / ${s.conversations}`);
    kpi('kpi-unanswered', pct(s.unanswered_rate), `${s.unanswered} / ${s.questions} 个提问`);
    kpi('kpi-helpful', pct(s.answer_helpful_rate), `有用 ${s.answer_ratings.helpful} · 没用 ${s.answer_ratings.unhelpful}`);
    kpi('kpi-csat', s.csat.mean == null ? '—' : `${s.csat.mean.toFixed(2)} 分`, `${s.csat.count} 条评价`);
    kpi('kpi-sla', pct(s.sla_on_time_rate), `${t.closed_on_time} / ${t.closed_with_due} · 当前超期 ${t.open_past_due}`);
    kpi('kpi-first-response', seconds(s.median_first_response_s), `${s.first_responses} 次转人工`);

    const days = s.daily.map((d) => shortDate(d.date));
    bars('chart-daily', days, [
      { label: '会话', data: s.daily.map((d) => d.conversations) },
      { label: '自助解决', data: s.daily.map((d) => d.contained) },
      { label: '转人工', data: s.daily.map((d) => d.handoffs) },
    ]);
    table('table-daily', ['日期', '会话', '自助解决', '转人工'],
      s.daily.map((d) => [shortDate(d.date), d.conversations, d.contained, d.handoffs]));

    const reasons = Object.entries(s.handoff_reasons);
    bars('chart-reasons', reasons.map(([r]) => label('reason', r)), [{ label: '次数', data: reasons.map(([, n]) => n) }],
      { horizontal: true });
    table('table-reasons', ['原因', '次数'], reasons.map(([r, n]) => [label('reason', r), n]));

    const scores = Object.entries(s.csat.distribution);
    bars('chart-csat', scores.map(([k]) => `${k}分`), [{ label: '评价数', data: scores.map(([, n]) => n) }]);
    table('table-csat', ['分数', '评价数'], scores.map(([k, n]) => [`${k}分`, n]));

    const entries = s.top_entries.slice(0, TOP_IN_CHART);
    bars('chart-entries', entries.map((e) => cut(e.title, 18)), [
      { label: '解答次数', data: entries.map((e) => e.answers) },
      { label: '有用', data: entries.map((e) => e.helpful) },
      { label: '没用', data: entries.map((e) => e.unhelpful) },
    ], { horizontal: true });
    table('table-entries', ['条目', '标题', '解答次数', '有用', '没用'],
      s.top_entries.map((e) => [e.entry, e.title, e.answers, e.helpful, e.unhelpful]));

    const reasonsOf = (u) => Object.entries(u.reasons).map(([r, n]) => `${s.labels.unanswered_reason[r] || r} ${n}`).join('；');
    const unanswered = s.top_unanswered.slice(0, TOP_IN_CHART);
    bars('chart-unanswered', unanswered.map((u) => cut(u.question, 18)), [{ label: '次数', data: unanswered.map((u) => u.count) }],
      { horizontal: true });
    table('table-unanswered', ['问题', '次数', '原因'], s.top_unanswered.map((u) => [u.question, u.count, reasonsOf(u)]));

    const kinds = Object.entries(t.by_kind);
    bars('chart-kind', kinds.map(([k]) => label('ticketType', k)), [{ label: '工单数', data: kinds.map(([, n]) => n) }]);
    table('table-kind', ['类型', '工单数'], kinds.map(([k, n]) => [label('ticketType', k), n]));

    const statuses = Object.entries(t.by_status);
    bars('chart-status', statuses.map(([k]) => k), [{ label: '工单数', data: statuses.map(([, n]) => n) }]);
    table('table-status', ['状态', '工单数'], statuses.map(([k, n]) => [k, n]));

    bars('chart-sla', ['按时办结', '超时办结', '当前超期未办结'],
      [{ label: '工单数', data: [t.closed_on_time, t.closed_overdue, t.open_past_due], backgroundColor: [COLORS[1], COLORS[2], COLORS[5]] }]);
    table('table-sla', ['项目', '数值'], [['办结（有承诺时限）', t.closed_with_due], ['按时办结', t.closed_on_time],
      ['超时办结', t.closed_overdue], ['当前超期未办结', t.open_past_due], ['按时办结率', pct(s.sla_on_time_rate)]]);

    const dl = $('definitions');
    dl.replaceChildren();
    const names = { window: '统计窗口', conversations: '会话数', contained_rate: '自助解决率', handoff_rate: '转人工率',
      unanswered_rate: '未答率', top_entries: '最常用的知识条目', top_unanswered: '最常见的未答问题', csat: '人工满意度',
      answer_helpful_rate: '解答有用率', tickets: '工单', sla_on_time_rate: '工单按时办结率',
      median_first_response_s: '坐席首次响应' };
    for (const [key, text] of Object.entries(s.definitions)) {
      // each definition starts with its own name ("会话数：…"), which the <dt> shows already
      dl.append(el('dt', null, names[key] || key), el('dd', null, text.replace(/^[^：]{1,12}：/, '')));
    }
  }

  function describeScope(f) {
    const company = f.company ? label('company', f.company) : '全部公司';
    const channel = f.channel ? label('channel', f.channel) : '全部渠道';
    return `统计范围：${f.since.slice(0, 10)} 至 ${f.until.slice(0, 10)} · ${company} · ${channel}`;
  }

  function csvLinks(q) {
    for (const a of document.querySelectorAll('a.csv')) {
      a.href = `/agent/api/stats/${a.dataset.table}.csv?${q}`;
      a.setAttribute('download', '');
    }
  }

  async function load() {
    const q = filters();
    history.replaceState(null, '', `?${q}`);
    $('refresh').disabled = true;
    try {
      const s = await api(`/agent/api/stats?${q}`);
      notice('');
      $('f-company-label').hidden = s.filters.company_fixed;
      $('scope').textContent = describeScope(s.filters);
      csvLinks(q);
      $('content').hidden = false;
      render(s);
      document.body.dataset.loaded = q.toString();
    } catch (e) {
      $('content').hidden = true;
      if (e.status === 401) notice('请先登录坐席工作台。', { href: '/agent', text: '去登录' });
      else if (e.status === 403) notice(typeof e.detail === 'string' ? e.detail : '没有查看这些数据的权限。');
      else notice('数据加载失败，请稍后刷新重试。');
      document.body.dataset.loaded = 'error';
    } finally {
      $('refresh').disabled = false;
    }
  }

  async function start() {
    const wantedCompany = fromAddress();
    try {
      LABELS = { ...LABELS, ...(await api('/agent/api/labels')) };
    } catch { /* load() says what is wrong (login, permission) */ }
    const select = $('f-company');
    for (const [id, name] of Object.entries(LABELS.company || {})) select.append(new Option(name, id));
    if (wantedCompany && LABELS.company && LABELS.company[wantedCompany]) {
      select.value = wantedCompany;
      $('f-company-label').hidden = false;
    }
    if (window.Chart) {
      window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
      window.Chart.defaults.color = '#1f2328';
    }
    await load();
  }

  $('filters').addEventListener('submit', (e) => { e.preventDefault(); load(); });
  for (const id of ['f-days', 'f-channel', 'f-company']) $(id).addEventListener('change', () => load());
  start();
})();
