// api.js: the pages' one way to the server.  Same origin, the session
// cookie (HttpOnly) carries identity; every change carries X-CSRF-Token
// from the sb_csrf cookie.  Errors are thrown as ApiError with the
// server's problem document (RFC 9457: status, code, detail, field...).

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.code = problem.code;
  }
}

function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)sb_csrf=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : '';
}

// api('GET', '/v1/queues') -> parsed JSON (null for 204).
// Options: {headers} extra headers (If-Match...), {raw: true} the Response.
export async function api(method, path, body, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (opts.raw) return res;
  if (res.status === 401 && !opts.noRedirect) {
    location.href = '/index.html?next=' + encodeURIComponent(location.pathname + location.hash);
    throw new ApiError(401, { code: 'unauthenticated', detail: 'log in first' });
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let doc = null;
  try {
    doc = text ? JSON.parse(text) : null;
  } catch {
    doc = { detail: text };
  }
  if (!res.ok) throw new ApiError(res.status, doc || {});
  return doc;
}

// Every item of a list route, following next_cursor.
export async function listAll(path) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', `${path}${sep}limit=1000${cursor ? '&cursor=' + encodeURIComponent(cursor) : ''}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

// Who is logged in ({tenant, user, role, agent}), or null.
export async function me() {
  try {
    return await api('GET', '/v1/auth/me', undefined, { noRedirect: true });
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

export async function logout() {
  try {
    await api('POST', '/v1/auth/logout', undefined, { noRedirect: true });
  } finally {
    location.href = '/index.html';
  }
}

// The page each role starts on.
export function homeOf(role) {
  return role === 'agent' ? '/desktop.html' : role === 'supervisor' ? '/wallboard.html' : '/admin.html';
}

// Shorthands for building the DOM without innerHTML: h('button', {class:
// 'x', onclick: f}, 'text', child...).  Strings become text nodes, so
// nothing from the server is ever parsed as HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// "3 s", "4 min 05 s", "1 h 02 min".
export function duration(ms) {
  if (ms === null || ms === undefined) return '–';
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor(s / 60) % 60).padStart(2, '0')} min`;
}

// A short-lived message in the page's status line (role="status").
export function toast(text, kind = 'info') {
  let box = document.getElementById('toast');
  if (!box) {
    box = h('div', { id: 'toast', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const item = h('div', { class: `toast ${kind}` }, text);
  box.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

export function errorText(e) {
  if (e instanceof ApiError) {
    const p = e.problem || {};
    return [p.detail || p.title || e.message, p.field ? `(${p.field})` : '', p.state ? `(state: ${p.state})` : '']
      .filter(Boolean)
      .join(' ');
  }
  return String(e && e.message ? e.message : e);
}
