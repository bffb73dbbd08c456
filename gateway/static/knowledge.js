// Knowledge page: the unanswered inbox, entries, drafts with preview and publishing, versions with diff and
// rollback. Same login as the console (the agent_session cookie); supervisors and reviewers only. Every text from
// the server (customers' questions above all) goes into the page through textContent only.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const UTILITY = { gas: '燃气', electricity: '电力', heat: '供热', all: '通用' };
  const STATUS = { pending: '检查中', accepted: '已生效', refused: '未通过检查' };
  const REASON = { no_entry: '没有条目', fallback: '没听懂', out_of_scope: '当作无关', menu_unpicked: '选项没人选',
    rated_unhelpful: '评为没用', handoff_after_answer: '答完转人工' };
  const CHANNEL = { web: '网页', wechat: '微信', voice: '电话' };
  let entries = [];
  let me = null;

  class HttpError extends Error {
    constructor(status, detail) { super(typeof detail === 'string' ? detail : `HTTP ${status}`); this.status = status; }
  }

  async function api(path, options = {}) {
    const init = { credentials: 'same-origin', headers: { Accept: 'application/json' }, ...options };
    if (options.body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    const res = await fetch(path, init);
    let data = null;
    try { data = await res.json(); } catch { /* 204, or not JSON */ }
    if (!res.ok) throw new HttpError(res.status, data && data.detail);
    return data;
  }

  function el(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = String(text);
    return n;
  }

  function notice(text) {
    $('notice').textContent = text || '';
    $('notice').hidden = !text;
  }

  function failed(error) {
    if (error.status === 401) notice('请先登录坐席工作台。');
    else if (error.status === 403) notice(error.message || '需要主管或审核员权限。');
    else notice(error.message || '操作没有成功，请稍后再试。');
  }

  const when = (iso) => new Date(iso).toLocaleString('zh-CN', { hour12: false });
  const entryLabel = (e) => `${UTILITY[e.utility] || ''}｜${e.title}（${e.id}）`;

  // ---- tabs ----
  function show(tab) {
    for (const b of document.querySelectorAll('[role="tab"]')) b.setAttribute('aria-selected', String(b.dataset.tab === tab));
    for (const s of document.querySelectorAll('.tab')) s.hidden = s.id !== `tab-${tab}`;
    ({ inbox: loadInbox, entries: loadEntries, drafts: loadDrafts, versions: loadVersions })[tab]().catch(failed);
  }
  for (const b of document.querySelectorAll('[role="tab"]')) b.addEventListener('click', () => show(b.dataset.tab));

  // ---- inbox ----
  function entryPicker() {
    const select = el('select');
    select.setAttribute('aria-label', '选择条目');
    select.append(el('option', null, '选择要加入的条目…'));
    select.firstChild.value = '';
    for (const e of entries) {
      const o = el('option', null, entryLabel(e));
      o.value = e.id;
      select.append(o);
    }
    return select;
  }

  async function loadInbox() {
    if (!entries.length) entries = await api('/agent/api/knowledge/entries');
    const groups = await api('/agent/api/unanswered');
    const list = $('inbox');
    list.replaceChildren();
    if (!groups.length) list.append(el('li', 'muted', '最近没有未答的问题。'));
    for (const g of groups) {
      const li = el('li');
      li.dataset.key = g.key;
      li.append(el('div', 'q', g.question));
      const reasons = Object.entries(g.reasons).map(([r, n]) => `${REASON[r] || r}×${n}`).join('、');
      li.append(el('div', 'meta', `${g.count}次 · ${reasons} · ${g.channels.map((c) => CHANNEL[c] || c).join('、')} · 最近 ${when(g.latest_at)}`));
      if (g.wordings.length > 1) li.append(el('div', 'meta', `其他说法：${g.wordings.slice(1).join(' ／ ')}`));
      const actions = el('div', 'actions');
      const picker = entryPicker();
      const add = el('button', null, '加为示例问题');
      add.type = 'button';
      add.addEventListener('click', async () => {
        if (!picker.value) { notice('请先选择条目。'); return; }
        try {
          await api(`/agent/api/knowledge/entries/${encodeURIComponent(picker.value)}/examples`,
            { method: 'POST', body: { text: g.question, inbox_key: g.key } });
          notice('');
          li.replaceChildren(el('div', 'q', g.question), el('div', 'meta', `已加为“${picker.selectedOptions[0].textContent}”的示例问题（草稿，发布后生效）`));
          refreshDraftCount();
        } catch (e) { failed(e); }
      });
      const draft = el('button', null, '新建条目');
      draft.type = 'button';
      draft.addEventListener('click', () => openNewEntry(g));
      const dismiss = el('button', null, '忽略');
      dismiss.type = 'button';
      dismiss.addEventListener('click', async () => {
        try { await api('/agent/api/unanswered/dismiss', { method: 'POST', body: { keys: g.keys } }); li.remove(); }
        catch (e) { failed(e); }
      });
      actions.append(picker, add, draft, dismiss);
      li.append(actions);
      list.append(li);
    }
  }

  // ---- entries ----
  async function loadEntries() {
    entries = await api('/agent/api/knowledge/entries');
    renderEntries();
  }

  function renderEntries() {
    const term = $('entry-filter').value.trim();
    const list = $('entries');
    list.replaceChildren();
    for (const e of entries.filter((x) => !term || `${x.id}${x.title}${x.answer}`.includes(term)).slice(0, 200)) {
      const li = el('li', null, entryLabel(e));
      li.tabIndex = 0;
      li.addEventListener('click', () => showEntry(e.id));
      list.append(li);
    }
  }
  $('entry-filter').addEventListener('input', renderEntries);

  async function showEntry(id) {
    const e = await api(`/agent/api/knowledge/entries/${encodeURIComponent(id)}`);
    const card = $('entry-detail');
    card.replaceChildren(el('h2', null, e.title), el('div', 'meta', `${e.id} · ${UTILITY[e.utility] || ''} · ${e.citation}`));
    const answer = el('textarea');
    answer.value = e.answer;
    answer.rows = 4;
    answer.style.width = '100%';
    answer.setAttribute('aria-label', '答案');
    answer.disabled = !e.editable;
    card.append(el('h3', null, '答案'), answer);
    card.append(el('h3', null, `示例问题（${e.examples.length}）`));
    const ul = el('ul');
    for (const q of e.examples) ul.append(el('li', null, q));
    card.append(ul);
    if (e.editable) {
      const save = el('button', 'primary', '保存答案为草稿');
      save.type = 'button';
      save.addEventListener('click', async () => {
        try {
          await api(`/agent/api/knowledge/entries/${encodeURIComponent(id)}`, { method: 'PATCH', body: { answer: answer.value } });
          notice('');
          save.textContent = '已保存为草稿';
          refreshDraftCount();
        } catch (err) { failed(err); }
      });
      card.append(save);
    } else {
      card.append(el('p', 'muted', '这个条目不属于您所在的公司，只能查看。'));
    }
    card.hidden = false;
  }

  // ---- new entry ----
  async function openNewEntry(group) {
    const sources = await api('/agent/api/knowledge/sources');
    const select = $('source-select');
    select.replaceChildren();
    for (const s of sources) {
      const o = el('option', null, `${s.cite_as}（${s.title}）`);
      o.value = s.id;
      select.append(o);
    }
    const form = $('new-entry-form');
    form.reset();
    form.elements.examples.value = group ? group.wordings.join('\n') : '';
    form.elements.inbox_key.value = group ? group.key : '';
    $('new-entry-error').hidden = true;
    $('new-entry').showModal();
  }
  $('new-entry-open').addEventListener('click', () => openNewEntry(null).catch(failed));
  $('new-entry-form').addEventListener('submit', async (event) => {
    if (event.submitter && event.submitter.value !== 'save') return;
    event.preventDefault();
    const f = event.target.elements;
    const body = { id: f.id.value.trim(), utility: f.utility.value, intent: f.intent.value, title: f.title.value.trim(),
      answer: f.answer.value.trim(), source: f.source.value, clause: f.clause.value.trim(),
      examples: f.examples.value.split('\n').map((x) => x.trim()).filter(Boolean) };
    if (f.inbox_key.value) body.inbox_key = f.inbox_key.value;
    try {
      await api('/agent/api/knowledge/entries', { method: 'POST', body });
      $('new-entry').close();
      refreshDraftCount();
      notice('');
    } catch (e) {
      $('new-entry-error').textContent = e.message;
      $('new-entry-error').hidden = false;
    }
  });

  // ---- drafts, preview, publish ----
  const ACTION = { add_example: '加示例问题', new_entry: '新建条目', edit_entry: '修改条目' };

  async function refreshDraftCount() {
    const drafts = await api('/agent/api/knowledge/drafts');
    $('draft-count').textContent = drafts.length ? String(drafts.length) : '';
    return drafts;
  }

  async function loadDrafts() {
    const drafts = await refreshDraftCount();
    const list = $('drafts');
    list.replaceChildren();
    if (!drafts.length) list.append(el('li', 'muted', '没有草稿。'));
    for (const d of drafts) {
      const li = el('li');
      const what = d.action === 'add_example' ? d.payload.text : (d.payload.title || d.payload.answer || '');
      li.append(el('div', 'q', `${ACTION[d.action] || d.action}：${what}`));
      li.append(el('div', 'meta', `条目 ${d.entry} · ${d.author} · ${when(d.created_at)}`));
      const discard = el('button', null, '放弃');
      discard.type = 'button';
      discard.addEventListener('click', async () => {
        try { await api(`/agent/api/knowledge/drafts/${d.id}`, { method: 'DELETE' }); loadDrafts(); } catch (e) { failed(e); }
      });
      const actions = el('div', 'actions');
      actions.append(discard);
      li.append(actions);
      list.append(li);
    }
  }

  $('preview-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const out = $('preview-reply');
    out.hidden = false;
    out.textContent = '正在生成预览…';
    try {
      const r = await api('/agent/api/knowledge/preview', { method: 'POST', body: { question: $('preview-question').value } });
      out.textContent = r.reply + (r.buttons.length ? `\n\n［按钮］${r.buttons.join('　')}` : '')
        + (r.entries.length ? `\n\n（回答条目：${r.entries.join('、')}）` : '');
    } catch (e) { out.textContent = `预览失败：${e.message}`; }
  });

  async function waitForVerdict(version) {
    for (let i = 0; i < 30; i += 1) {
      const row = (await api('/agent/api/knowledge/versions')).find((v) => v.version === version);
      if (row && row.status !== 'pending') return row;
      await new Promise((r) => setTimeout(r, 1000));
    }
    return null;
  }

  $('publish').addEventListener('click', async () => {
    const result = $('publish-result');
    $('publish').disabled = true;
    result.textContent = '正在发布…';
    try {
      const { version } = await api('/agent/api/knowledge/publish', { method: 'POST' });
      result.textContent = `已发布为第 ${version} 版，等待助手检查…`;
      loadDrafts();
      const verdict = await waitForVerdict(version);
      if (!verdict) result.textContent = `第 ${version} 版已发布，助手尚未完成检查（稍后在“版本”中查看）。`;
      else if (verdict.status === 'accepted') result.textContent = `第 ${version} 版已生效，客户现在按新内容得到回答。`;
      else { result.textContent = `第 ${version} 版未通过检查，客户仍按上一版得到回答。`; notice(`未通过的原因：${verdict.detail || ''}`); }
    } catch (e) { result.textContent = ''; failed(e); }
    $('publish').disabled = false;
  });

  // ---- versions ----
  async function loadVersions() {
    const rows = await api('/agent/api/knowledge/versions');
    const body = $('versions').tBodies[0];
    body.replaceChildren();
    for (const v of rows) {
      const tr = el('tr');
      const status = el('td', `status-${v.status}`, (STATUS[v.status] || v.status) + (v.serving ? '（客户正在使用）' : ''));
      if (v.detail) status.append(el('div', 'meta', v.detail));
      tr.append(el('td', null, `第 ${v.version} 版`), el('td', null, v.note), el('td', null, v.published_by),
        el('td', null, when(v.published_at)), status);
      const actions = el('td', 'actions');
      if (v.version > 1) {
        const diff = el('button', null, '查看改动');
        diff.type = 'button';
        diff.addEventListener('click', () => showDiff(v.version).catch(failed));
        actions.append(diff);
      }
      if (me && me.company == null && v.status === 'accepted' && !v.serving) {
        const back = el('button', null, '恢复为此版');
        back.type = 'button';
        back.addEventListener('click', async () => {
          try {
            const r = await api('/agent/api/knowledge/rollback', { method: 'POST', body: { version: v.version } });
            notice('');
            $('export').textContent = '导出为YAML';
            await loadVersions();
            const verdict = await waitForVerdict(r.version);
            if (verdict) await loadVersions();
          } catch (e) { failed(e); }
        });
        actions.append(back);
      }
      tr.append(actions);
      body.append(tr);
    }
  }

  async function showDiff(version) {
    const d = await api(`/agent/api/knowledge/versions/${version}/diff`);
    const card = $('diff');
    card.replaceChildren(el('h2', null, `第 ${version} 版相对第 ${d.against} 版的改动`));
    if (!d.changes.length) card.append(el('p', 'muted', '内容没有变化。'));
    for (const c of d.changes) {
      const block = el('div');
      block.append(el('h3', null, `${{ added: '新增', removed: '删除', changed: '修改' }[c.change]}：${c.title || ''}（${c.entry}）`));
      for (const [field, change] of Object.entries(c.fields || {})) {
        if (field === 'examples' && change.added) {
          for (const q of change.added) { const p = el('div'); p.append('示例问题 ', el('ins', null, q)); block.append(p); }
          for (const q of change.removed) { const p = el('div'); p.append('示例问题 ', el('del', null, q)); block.append(p); }
        } else {
          const p = el('div');
          p.append(`${field}：`);
          if (change.before != null) p.append(el('del', null, Array.isArray(change.before) ? change.before.join('；') : change.before), ' → ');
          p.append(el('ins', null, Array.isArray(change.after) ? change.after.join('；') : change.after));
          block.append(p);
        }
      }
      card.append(block);
    }
    card.hidden = false;
  }

  // ---- start ----
  (async () => {
    try {
      me = await api('/agent/api/knowledge/me');
    } catch { me = null; }
    if (me) $('who').textContent = `${me.username}（${{ supervisor: '主管', reviewer: '审核员', agent: '客服' }[me.role] || me.role}）`;
    try {
      await loadInbox();
      await refreshDraftCount();
    } catch (e) { failed(e); }
  })();
})();
