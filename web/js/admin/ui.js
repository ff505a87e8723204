// admin/ui.js: the admin page's small building blocks: labelled fields,
// checkbox groups, number reading, problem documents shown in full, the
// marking of the control a problem names, and a confirm dialog.  Every
// text from the server goes in as a text node (h() never parses HTML).
import { ApiError, h } from '../api.js';

let seq = 0;
// A page-unique element id.
export function uid(prefix = 'f') {
  seq += 1;
  return `${prefix}-${seq}`;
}

// A refusal found before asking the server, shaped like a problem.
// What every admin section has: a focusable heading that labels it and an
// alert area for errors.  section(headExtras, ...body) builds the
// <section>: the heading with headExtras beside it, then body.
export function sectionFrame(title) {
  const id = uid('h');
  const heading = h('h2', { id, tabindex: '-1' }, title);
  const error = h('div', { class: 'section-error', role: 'alert' });
  const section = (headExtras, ...body) => h('section', { class: 'admin-section', 'aria-labelledby': id },
    h('div', { class: 'section-head' }, heading, ...headExtras), ...body);
  return { heading, error, section };
}

export class ClientError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

// <div class="field"><label for>..</label> control <p hint> <p error></div>.
// `field` is the member path the server names in problems ("steps[1].expression").
export function field({ label, control, hint, field: path, wide = false }) {
  if (!control.id) control.id = uid('c');
  if (path) control.dataset.field = path;
  const wrap = h('div', { class: wide ? 'field wide' : 'field' }, h('label', { for: control.id }, label), control);
  const describedBy = [];
  if (hint) {
    const hintEl = h('p', { class: 'hint', id: uid('hint') }, hint);
    describedBy.push(hintEl.id);
    wrap.append(hintEl);
  }
  const err = h('p', { class: 'field-error', id: uid('err'), hidden: true });
  describedBy.push(err.id);
  control.setAttribute('aria-describedby', describedBy.join(' '));
  control._fieldError = err;
  wrap.append(err);
  return wrap;
}

export function textInput(value, attrs = {}) {
  return h('input', { type: 'text', value: value ?? '', autocomplete: 'off', spellcheck: 'false', ...attrs });
}

export function numberInput(value, attrs = {}) {
  return h('input', { type: 'number', step: 'any', value: value ?? '', inputmode: 'decimal', ...attrs });
}

// <select> of [value, label] pairs (or plain strings).
export function select(options, value, attrs = {}) {
  const el = h('select', attrs);
  for (const o of options) {
    const [v, text] = Array.isArray(o) ? o : [o, o];
    const opt = h('option', { value: v }, text);
    if (v === (value ?? '')) opt.selected = true;
    el.append(opt);
  }
  return el;
}

// A fieldset of checkboxes.  options: [value, label] pairs or strings.
// Returns {node, value() -> [checked values], set(values)}.
export function checkboxGroup({ legend, options, selected = [], field: path, hint, empty = 'None defined yet.' }) {
  const node = h('fieldset', { class: 'checks' }, h('legend', {}, legend));
  if (path) node.dataset.field = path;
  const boxes = [];
  for (const o of options) {
    const [v, text] = Array.isArray(o) ? o : [o, o];
    const box = h('input', { type: 'checkbox', id: uid('cb'), value: v });
    box.checked = selected.includes(v);
    boxes.push(box);
    node.append(h('span', { class: 'check' }, box, h('label', { for: box.id }, text)));
  }
  if (!options.length) node.append(h('span', { class: 'muted' }, empty));
  // values selected that are no longer offered (deleted since) stay visible
  for (const v of selected) {
    if (!options.some((o) => (Array.isArray(o) ? o[0] : o) === v)) {
      const box = h('input', { type: 'checkbox', id: uid('cb'), value: v, checked: true });
      boxes.push(box);
      node.append(h('span', { class: 'check' }, box, h('label', { for: box.id }, `${v} (unknown)`)));
    }
  }
  if (hint) node.append(h('p', { class: 'hint' }, hint));
  const err = h('p', { class: 'field-error', hidden: true });
  node._fieldError = err;
  node.append(err);
  // checked values: those selected at first keep their order (a list the
  // server stores in its order is not reshuffled by an edit), new ones after
  const value = () => {
    const on = boxes.filter((b) => b.checked).map((b) => b.value);
    return [...selected.filter((v) => on.includes(v)), ...on.filter((v) => !selected.includes(v))];
  };
  return {
    node,
    value,
    set: (vals) => boxes.forEach((b) => { b.checked = vals.includes(b.value); }),
  };
}

// The number in an <input type=number>: undefined when blank.
export function readNumber(input, path, { integer = false } = {}) {
  if (input.validity && input.validity.badInput) throw new ClientError(path, `${path}: not a number`);
  const s = input.value.trim();
  if (s === '') return undefined;
  const n = Number(s);
  if (!Number.isFinite(n)) throw new ClientError(path, `${path}: not a number`);
  if (integer && !Number.isInteger(n)) throw new ClientError(path, `${path}: a whole number`);
  return n;
}

// Set obj[key] = value unless value is undefined / '' / an empty list.
export function put(obj, key, value) {
  if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) return;
  obj[key] = value;
}

const TITLES = {
  in_use: 'Still in use',
  invalid_field: 'Invalid value',
  unknown_field: 'Unknown member',
  invalid_expression: 'Invalid expression',
  invalid_json: 'Invalid JSON',
  already_exists: 'Already exists',
  precondition_failed: 'Changed by someone else',
  not_found: 'Not found',
  forbidden: 'Not allowed',
  storage_error: 'Storage error',
};

// Links for what `used_by` names ("agents/alice" -> #agents/alice).
const LINKABLE = new Set(['agents', 'queues', 'users', 'skills', 'teams', 'custom-fields', 'capacity-profiles']);

// A problem (ApiError, ClientError or anything thrown) as a node: title,
// the server's detail, the member, the code and, for in_use, what uses it.
export function problemNode(e, { onReload } = {}) {
  if (e instanceof ClientError) {
    return h('div', { class: 'problem' }, h('strong', {}, 'Check the form: '), e.message);
  }
  if (!(e instanceof ApiError)) {
    return h('div', { class: 'problem' }, h('strong', {}, 'Error: '), String(e && e.message ? e.message : e));
  }
  const p = e.problem || {};
  const node = h('div', { class: 'problem' },
    h('strong', {}, `${TITLES[p.code] || p.title || 'Error'}: `),
    p.detail || p.title || e.message,
    ' ',
    h('span', { class: 'muted' }, `(${e.status}${p.code ? ' ' + p.code : ''}${p.field ? ', field ' + p.field : ''}${Number.isInteger(p.position) ? ', position ' + p.position : ''})`));
  if (Array.isArray(p.used_by) && p.used_by.length) {
    const list = h('ul', { class: 'used-by' });
    for (const ref of p.used_by) {
      const [coll, id] = String(ref).split('/');
      list.append(h('li', {}, LINKABLE.has(coll) && id
        ? h('a', { href: `#${coll}/${encodeURIComponent(id)}` }, ref)
        : ref));
    }
    node.append(h('div', {}, 'Used by:'), list);
  }
  if (e.status === 412 && onReload) {
    node.append(h('p', {}, 'Your changes were not saved. ',
      h('button', { type: 'button', class: 'secondary', onclick: onReload }, 'Reload the current version'),
      ' (your edits are lost).'));
  }
  return node;
}

// Clear the marks of an earlier problem in `root`.
export function clearMarks(root) {
  for (const el of root.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid');
  for (const el of root.querySelectorAll('.field-error')) {
    el.textContent = '';
    el.hidden = true;
  }
}

// Mark the control of `root` that member path `path` names (or the closest
// enclosing one: "steps[1].after_seconds" -> "steps[1]" -> "steps") with
// the message; focus it.  Returns the control or null.
export function markField(root, path, message) {
  if (!path) return null;
  const all = [...root.querySelectorAll('[data-field]')];
  let p = path;
  while (p) {
    const el = all.find((c) => c.dataset.field === p);
    if (el) {
      el.setAttribute('aria-invalid', 'true');
      if (el._fieldError) {
        el._fieldError.textContent = message;
        el._fieldError.hidden = false;
      }
      const focusable = el.matches('input, select, textarea, button') ? el : el.querySelector('input, select, textarea, button');
      if (focusable && !focusable.disabled) focusable.focus();
      if (el.closest('details')) el.closest('details').open = true;
      return el;
    }
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut > 0 ? p.slice(0, cut) : '';
  }
  return null;
}

// A modal yes/no question; resolves true when confirmed.  Cancel has the
// focus first, Escape cancels.
export function confirmDialog(message, { confirm = 'Delete', danger = true } = {}) {
  return new Promise((resolve) => {
    const title = uid('dlg');
    const cancel = h('button', { type: 'button', class: 'secondary', value: 'cancel' }, 'Cancel');
    const ok = h('button', { type: 'button', class: danger ? 'danger' : '', value: 'ok' }, confirm);
    const dlg = h('dialog', { class: 'confirm', 'aria-labelledby': title },
      h('p', { id: title }, message),
      h('div', { class: 'actions' }, cancel, ok));
    let answer = false;
    cancel.addEventListener('click', () => dlg.close());
    ok.addEventListener('click', () => { answer = true; dlg.close(); });
    dlg.addEventListener('close', () => { dlg.remove(); resolve(answer); });
    document.body.append(dlg);
    dlg.showModal();
    cancel.focus();
  });
}

export function fmtTime(ms) {
  if (ms === null || ms === undefined) return '–';
  const d = new Date(ms);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

// "a, b, c" or a muted dash.
export function list(values) {
  return values && values.length ? values.join(', ') : h('span', { class: 'muted' }, '–');
}
