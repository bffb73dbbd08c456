// Outage notices page (/agent/notices): supervisors publish, change, mark restored and withdraw notices; every agent
// sees them. Same login as the console (the agent_session cookie); the API is /agent/api/notices. Times are entered
// and shown in China time. Every text from the server goes into the page through textContent only.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const KIND = { planned: '计划停供', fault: '故障停供', restored: '已恢复' };
  const UTILITY = { gas: '燃气', electricity: '电力', heat: '供热' };
  const STATUS = { published: '已发布', withdrawn: '已撤回' };
  const ACTION = { published: '发布', updated: '修改', restored: '标记已恢复', withdrawn: '撤回' };
  const FIELD = { ends_at: '预计结束', starts_at: '开始', areas: '区域', reason: '原因', text: '说明', kind: '类型',
    restored_at: '恢复时间', status: '状态' };
  const DELIVERY = { sent: '微信已送达', stored: '网页已存入', uncertain: '发送中断、可能已送达（未重发）', retry: '待重试',
    failed: '未送达', claimed: '发送中' };
  let mayPublish = false, selected = null, companies = {};

  class HttpError extends Error {
    constructor(status, detail) { super(typeof detail === 'string' ? detail : `HTTP ${status}`); this.status = status; this.detail = detail; }
  }

  async function api(method, path, body) {
    const opts = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body !== undefined) { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
    const res = await fetch(path, opts);
    let data = null;
    try { data = await res.json(); } catch { /* not JSON */ }
    if (!res.ok) throw new HttpError(res.status, data && data.detail);
    return data;
  }

  // A plain Chinese message from the server, or a fallback (FastAPI's 422 detail is a list: not for people).
  const errText = (e, fallback) => (e && typeof e.detail === 'string' && e.detail ? e.detail : fallback);

  function el(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = String(text);
    return n;
  }

  function show(node, text) { node.textContent = text || ''; node.hidden = !text; }

  function notice(text, link) {
    const box = $('notice');
    box.replaceChildren();
    if (!text) { box.hidden = true; return; }
    box.append(text);
    if (link) { const a = el('a', null, link.text); a.href = link.href; box.append(' ', a); }
    box.hidden = false;
  }

  const fmt = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', month: 'numeric', day: 'numeric',
    hour: '2-digit', minute: '2-digit', hour12: false });
  function when(iso) {
    if (!iso) return '—';
    const p = Object.fromEntries(fmt.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
    return `${p.month}月${p.day}日 ${p.hour}:${p.minute}`;
  }
  // datetime-local holds no zone: the page's times are China time, sent with their offset.
  const withOffset = (local) => (local ? `${local}:00+08:00` : null);
  function toLocal(iso) {
    if (!iso) return '';
    const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric',
      month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false })
      .formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day}T${p.hour === '24' ? '00' : p.hour}:${p.minute}`;
  }

  // ---- the list ----
  async function load() {
    try {
      const r = await api('GET', `/agent/api/notices?show=${encodeURIComponent($('show').value)}`);
      notice('');
      $('content').hidden = false;
      mayPublish = !!r.may_publish;
      $('publish-pane').hidden = !mayPublish;
      $('p-company-label').hidden = !(mayPublish && r.company == null);
      show($('short-banner'), r.short_notice
        ? `有 ${r.short_notice} 条计划停供通知发布时距开始不足承诺的通知时间（燃气为48小时），请尽快通过其他渠道补充告知受影响客户。` : '');
      render(r.notices || []);
      if (selected) await openNotice(selected, true);
    } catch (e) {
      $('content').hidden = true;
      if (e.status === 401) notice('请先登录坐席工作台。', { href: '/agent', text: '去登录' });
      else notice('通知加载失败，请稍后刷新。');
    }
  }

  function render(notices) {
    const list = $('notices');
    list.replaceChildren(...notices.map(card));
    $('empty').hidden = notices.length > 0;
  }

  function card(n) {
    const li = el('li', `card kind-${n.kind}${n.status === 'withdrawn' ? ' withdrawn' : ''}`);
    li.dataset.id = String(n.id);
    li.tabIndex = 0;
    li.setAttribute('role', 'button');
    if (String(n.id) === selected) li.classList.add('selected');
    const top = el('div', 'card-top');
    top.append(el('span', 'tag', `${UTILITY[n.utility] || n.utility} · ${KIND[n.kind] || n.kind}`),
      el('span', 'tag', n.company_name || n.company));
    if (n.active) top.append(el('span', 'tag active', '进行中'));
    if (n.status === 'withdrawn') top.append(el('span', 'tag withdrawn', '已撤回'));
    if (n.short_notice && n.status === 'published') top.append(el('span', 'tag short', '通知不足时限'));
    li.append(top, el('div', 'card-text', n.summary));
    return li;
  }

  $('notices').addEventListener('click', (e) => { const li = e.target.closest('.card'); if (li) openNotice(li.dataset.id); });
  $('notices').addEventListener('keydown', (e) => {
    const li = e.target.closest('.card');
    if (li && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); openNotice(li.dataset.id); }
  });
  $('show').addEventListener('change', load);

  // ---- one notice ----
  // keep: a refresh after a change keeps that change's message on screen
  async function openNotice(id, keep = false) {
    selected = String(id);
    for (const li of $('notices').querySelectorAll('.card')) li.classList.toggle('selected', li.dataset.id === selected);
    let n;
    try { n = await api('GET', `/agent/api/notices/${encodeURIComponent(selected)}`); } catch (e) {
      if (e.status === 404) { selected = null; $('detail').hidden = true; }
      return;
    }
    $('detail').hidden = false;
    $('detail-summary').textContent = n.summary;
    const info = $('detail-info');
    info.replaceChildren();
    const row = (k, v) => info.append(el('dt', null, k), el('dd', null, v));
    row('状态', STATUS[n.status] || n.status);
    row('业务', `${UTILITY[n.utility] || n.utility} · ${KIND[n.kind] || n.kind}`);
    row('公司', n.company_name || n.company);
    row('区域', (n.areas || []).join('、'));
    row('开始', when(n.starts_at));
    row('预计结束', n.ends_at ? when(n.ends_at) : '未定');
    if (n.restored_at) row('恢复时间', when(n.restored_at));
    row('发布', `${n.created_by} · ${when(n.created_at)}`);
    row('版本', String(n.version));
    if (n.short_notice_detail) row('通知时限', n.short_notice_detail);

    const counts = Object.entries(n.deliveries || {}).map(([k, v]) => `${DELIVERY[k] || k} ${v}`);
    $('deliveries').textContent = counts.length ? counts.join('；') : '暂无订阅用户收到推送';
    $('history').replaceChildren(...(n.history || []).map((h) => {
      const li = el('li');
      const changed = Object.keys(h.changes || {}).filter((k) => k !== 'notice').map((k) => FIELD[k] || k);
      li.append(el('strong', null, `v${h.version} ${ACTION[h.action] || h.action}`),
        el('span', 'muted', ` · ${h.by} · ${when(h.at)}${changed.length ? ` · ${changed.join('、')}` : ''}`));
      return li;
    }));
    $('change-form').hidden = !(mayPublish && n.status === 'published');
    $('c-restored').hidden = n.kind === 'restored';
    $('c-ends').value = toLocal(n.ends_at);
    if (!keep) { show($('change-error'), ''); show($('change-ok'), ''); }
  }

  async function change(method, body, done) {
    show($('change-error'), ''); show($('change-ok'), '');
    try {
      await api(method, `/agent/api/notices/${encodeURIComponent(selected)}`, body);
      await load();
      show($('change-ok'), done);
    } catch (e) {
      show($('change-error'), errText(e, '保存失败，请检查后重试'));
    }
  }

  $('change-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (!$('c-ends').value) { show($('change-error'), '请填写新的预计结束时间'); return; }
    change('PATCH', { ends_at: withOffset($('c-ends').value) }, '已保存，订阅用户会收到变更提醒');
  });
  $('c-restored').addEventListener('click', () => change('PATCH', { kind: 'restored' }, '已标记恢复，订阅用户会收到恢复提醒'));
  $('c-withdraw').addEventListener('click', () => {
    if (window.confirm('确定撤回这条通知吗？已收到提醒的订阅用户会收到撤回消息。')) change('DELETE', undefined, '通知已撤回');
  });

  // ---- publishing ----
  $('publish-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    show($('publish-error'), ''); show($('publish-ok'), '');
    const areas = $('p-areas').value.split(/\n+/).map((a) => a.trim()).filter(Boolean);
    const kind = $('p-kind').value, starts = $('p-starts').value, ends = $('p-ends').value;
    if (!areas.length) { show($('publish-error'), '请填写影响区域'); return; }
    if (!starts) { show($('publish-error'), '请填写开始时间'); return; }
    if (kind === 'planned' && !ends) { show($('publish-error'), '计划停供须填写预计结束时间'); return; }
    if (ends && ends <= starts) { show($('publish-error'), '结束时间必须晚于开始时间'); return; }
    if (!$('p-reason').value.trim()) { show($('publish-error'), '请填写原因'); return; }
    const body = { utility: $('p-utility').value, kind, areas, starts_at: withOffset(starts),
      ends_at: withOffset(ends), reason: $('p-reason').value.trim() };
    if ($('p-text').value.trim()) body.text = $('p-text').value.trim();
    if (!$('p-company-label').hidden && $('p-company').value) body.company = $('p-company').value;
    $('publish').disabled = true;
    try {
      const n = await api('POST', '/agent/api/notices', body);
      selected = String(n.id);
      $('publish-form').reset();
      await load();
      show($('publish-ok'), n.short_notice ? `已发布。注意：${n.short_notice_detail}` : '已发布，订阅用户会收到提醒');
    } catch (err) {
      show($('publish-error'), errText(err, '发布失败，请检查填写内容'));
    } finally {
      $('publish').disabled = false;
    }
  });

  async function start() {
    try {
      const labels = await api('GET', '/agent/api/labels');
      companies = labels.company || {};
      $('p-company').replaceChildren(...Object.entries(companies).map(([id, name]) => {
        const o = el('option', null, name); o.value = id; return o;
      }));
    } catch { /* load() says what is wrong */ }
    await load();
  }

  start();
})();
