// admin/audit.js: the audit log, newest first, filtered by actor and
// collection: GET /v1/audit?order=desc, 50 to a page, the next (older)
// page fetched by next_cursor only when asked for.  Each change opens to a
// compact diff of before and after and the objects themselves.
import { api, h, listAll } from '../api.js';
import { field, fmtTime, problemNode, sectionFrame, select, textInput, uid } from './ui.js';

const PAGE = 50;
const COLLECTIONS = ['users', 'skills', 'teams', 'queues', 'capacity-profiles', 'wrapup-codes', 'not-ready-reasons',
  'custom-fields', 'agents', 'api-keys', 'sessions'];

// path -> JSON text of every leaf ("steps[1].expression" -> "\"...\"").
function flatten(v, prefix = '', out = new Map()) {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v).filter((k) => k !== 'version');
    if (!keys.length && prefix) out.set(prefix, '{}');
    for (const k of keys) flatten(v[k], prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(v) && v.some((x) => x && typeof x === 'object')) {
    v.forEach((x, i) => flatten(x, `${prefix}[${i}]`, out));
    if (!v.length) out.set(prefix, '[]');
  } else if (v !== undefined) {
    out.set(prefix || '(value)', JSON.stringify(v));
  }
  return out;
}

export function diff(before, after) {
  const a = flatten(before || {});
  const b = flatten(after || {});
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths.filter((p) => a.get(p) !== b.get(p)).map((p) => ({ path: p, before: a.get(p), after: b.get(p) }));
}

function pretty(v) {
  return h('pre', { class: 'json' }, JSON.stringify(v, null, 2));
}

function changeCell(e) {
  const hasBefore = e.before !== null && e.before !== undefined;
  const hasAfter = e.after !== null && e.after !== undefined;
  if (!hasBefore && !hasAfter) return h('span', { class: 'muted' }, '–');
  if (!hasBefore) return h('details', {}, h('summary', {}, 'created: show the object'), pretty(e.after));
  if (!hasAfter) return h('details', {}, h('summary', {}, 'deleted: show what it was'), pretty(e.before));
  const d = diff(e.before, e.after);
  const names = d.map((x) => x.path);
  const summary = d.length
    ? `${d.length} change${d.length === 1 ? '' : 's'}: ${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}`
    : 'no change';
  return h('details', {}, h('summary', {}, summary),
    d.length ? h('table', { class: 'diff' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Member'), h('th', { scope: 'col' }, 'Before'), h('th', { scope: 'col' }, 'After'))),
      h('tbody', {}, d.map((x) => h('tr', {},
        h('th', { scope: 'row' }, h('code', {}, x.path)),
        h('td', { class: 'del' }, x.before === undefined ? h('span', { class: 'muted' }, '(absent)') : h('code', {}, x.before)),
        h('td', { class: 'ins' }, x.after === undefined ? h('span', { class: 'muted' }, '(absent)') : h('code', {}, x.after)))))) : null,
    h('div', { class: 'before-after' },
      h('div', {}, h('h4', {}, 'Before'), pretty(e.before)),
      h('div', {}, h('h4', {}, 'After'), pretty(e.after))));
}

export const audit = {
  id: 'audit',
  title: 'Audit log',
  mount(container) {
    const { heading, error, section } = sectionFrame('Audit log');
    const actor = textInput('', { list: uid('actors') });
    const actors = h('datalist', { id: actor.getAttribute('list') });
    const collection = select([['', 'All collections'], ...COLLECTIONS.map((c) => [c, c])], '');
    const apply = h('button', { type: 'submit' }, 'Show');
    const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the audit log' },
      field({ label: 'Actor', control: actor, hint: 'A user id, or an API key id.' }),
      field({ label: 'Collection', control: collection }),
      h('div', { class: 'actions' }, apply), actors);
    const tbody = h('tbody');
    const status = h('p', { class: 'muted', role: 'status' });
    const newer = h('button', { type: 'button', class: 'secondary' }, '← Newer');
    const older = h('button', { type: 'button', class: 'secondary' }, 'Older →');
    const pager = h('div', { class: 'pager', role: 'navigation', 'aria-label': 'Audit pages' }, newer, h('span', { class: 'page-info' }), older);
    const pageInfo = pager.querySelector('.page-info');
    let entries = [];
    let cursor = null; // towards older entries; null: none left
    let page = 0;
    let loading = 0;

    function render() {
      const pages = Math.max(1, Math.ceil(entries.length / PAGE));
      page = Math.min(page, pages - 1);
      const shown = entries.slice(page * PAGE, page * PAGE + PAGE);
      tbody.replaceChildren(...shown.map((e) => h('tr', { dataset: { id: e.id } },
        h('td', { class: 'nowrap' }, h('time', { datetime: new Date(e.at).toISOString() }, fmtTime(e.at))),
        h('td', {}, e.actor),
        h('td', {}, h('span', { class: `badge action-${e.action}` }, e.action)),
        h('td', {}, e.collection, h('span', { class: 'muted' }, '/'), e.object),
        h('td', { class: 'change' }, changeCell(e)))));
      pageInfo.textContent = entries.length
        ? `Entries ${page * PAGE + 1}–${page * PAGE + shown.length}${cursor ? '' : ` of ${entries.length}`}, newest first (page ${page + 1})`
        : '';
      newer.disabled = page === 0;
      older.disabled = page >= pages - 1 && !cursor;
      pager.hidden = entries.length <= PAGE && !cursor;
      status.textContent = entries.length ? '' : 'No entries.';
    }

    // One more page of older entries (or the first page after a reset).
    async function fetchPage(reset) {
      const mine = ++loading;
      error.replaceChildren();
      status.textContent = 'Loading…';
      const q = new URLSearchParams({ order: 'desc', limit: String(PAGE) });
      if (actor.value.trim()) q.set('actor', actor.value.trim());
      if (collection.value) q.set('collection', collection.value);
      if (!reset && cursor) q.set('cursor', cursor);
      try {
        const res = await api('GET', `/v1/audit?${q}`);
        if (mine !== loading) return;
        if (reset) {
          entries = [];
          page = 0;
        }
        entries.push(...res.items);
        cursor = res.next_cursor;
      } catch (e) {
        if (mine !== loading) return;
        status.textContent = '';
        error.replaceChildren(problemNode(e));
        return;
      }
      render();
    }

    const load = () => fetchPage(true);

    async function showOlder() {
      page += 1;
      if (page * PAGE >= entries.length && cursor) await fetchPage(false);
      render();
    }

    filters.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
    collection.addEventListener('change', () => load());
    newer.addEventListener('click', () => { page -= 1; render(); (newer.disabled ? older : newer).focus(); });
    older.addEventListener('click', async () => { await showOlder(); (older.disabled ? newer : older).focus(); });
    listAll('/v1/users').then((us) => actors.replaceChildren(...us.map((u) => h('option', { value: u.id })))).catch(() => {});

    container.append(section([h('button', { type: 'button', class: 'secondary', onclick: () => load() }, 'Refresh')],
      h('p', { class: 'intro muted' }, 'Every configuration change, login, logout, password and key change: who, when, before and after. It cannot be edited.'),
      filters, error,
      h('table', { class: 'items audit' }, h('caption', { class: 'visually-hidden' }, 'Audit log, newest first'),
        h('thead', {}, h('tr', {}, ['When', 'Actor', 'Action', 'Object', 'Change'].map((t) => h('th', { scope: 'col' }, t)))),
        tbody),
      status, pager));
    load();
    return { route() {}, focusHeading: () => heading.focus() };
  },
};
