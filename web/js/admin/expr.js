// admin/expr.js: a target-expression control checked by the server as
// the admin types (debounced 300 ms): POST /v1/expressions/check
// {expression} -> 200 {ok: true} or 400 invalid_expression with the byte
// `position` and `detail`.  An error is shown in words and marked in the
// text (the character highlighted, a caret under it).  The same marking
// serves a save's invalid_expression for this member.
import { api, errorText, h } from '../api.js';
import { uid } from './ui.js';

const DEBOUNCE_MS = 300;
// Whether the server has the check route: null (not asked yet), true, false.
let routePresent = null;

// The code-point index of UTF-8 byte offset `pos` in `text`.
function codePointIndex(text, pos) {
  const enc = new TextEncoder();
  let bytes = 0;
  let i = 0;
  for (const ch of text) {
    if (bytes >= pos) break;
    bytes += enc.encode(ch).length;
    i += 1;
  }
  return i;
}

// opts: {value, label, path (member path for problems), hint, rows}
export function exprField({ value = '', label, path, hint, rows = 2, emptyText = 'Empty: every member of the queue matches.' }) {
  const input = h('textarea', { id: uid('expr'), class: 'expr', rows: String(rows), spellcheck: 'false', autocomplete: 'off', autocapitalize: 'off' }, value ?? '');
  input.dataset.field = path;
  const labelEl = h('label', { for: input.id }, label);
  const status = h('p', { class: 'expr-status', id: uid('st'), 'aria-live': 'polite' });
  const caret = h('pre', { class: 'expr-caret', hidden: true });
  const goTo = h('button', { type: 'button', class: 'link', hidden: true }, 'Go to the error');
  const err = h('p', { class: 'field-error', id: uid('err'), hidden: true });
  const hintEl = hint ? h('p', { class: 'hint', id: uid('hint') }, hint) : null;
  input._fieldError = err;
  input.setAttribute('aria-describedby', [status.id, err.id, hintEl && hintEl.id].filter(Boolean).join(' '));
  const node = h('div', { class: 'field wide expr-field' }, labelEl, input, caret, h('div', { class: 'expr-line' }, status, goTo), err, hintEl);

  let timer = null;
  let seq = 0;
  let errorAt = null; // code-point index of the error shown

  function setStatus(kind, text) {
    status.className = `expr-status ${kind}`;
    status.textContent = text;
  }

  function clearError() {
    caret.hidden = true;
    caret.replaceChildren();
    goTo.hidden = true;
    errorAt = null;
    input.removeAttribute('aria-invalid');
  }

  // problem: {detail, position} of invalid_expression, for text `text`.
  function showProblem(problem, text = input.value) {
    const pos = Number.isInteger(problem.position) ? problem.position : null;
    setStatus('bad', problem.detail || 'invalid expression');
    input.setAttribute('aria-invalid', 'true');
    if (pos === null) {
      clearError();
      input.setAttribute('aria-invalid', 'true');
      return true;
    }
    const chars = [...text];
    const at = Math.min(codePointIndex(text, pos), chars.length);
    // the line the position is on, and the column in it
    let lineStart = at;
    while (lineStart > 0 && chars[lineStart - 1] !== '\n') lineStart -= 1;
    let lineEnd = at;
    while (lineEnd < chars.length && chars[lineEnd] !== '\n') lineEnd += 1;
    const col = at - lineStart;
    const line = chars.slice(lineStart, lineEnd);
    const ch = at < lineEnd ? line[col] : ' ';
    caret.replaceChildren(
      line.slice(0, col).join(''),
      h('mark', {}, ch),
      line.slice(col + 1).join(''),
      '\n',
      `${' '.repeat(col)}^ column ${col + 1}`);
    caret.hidden = false;
    goTo.hidden = false;
    errorAt = [...text].slice(0, at).join('').length; // UTF-16 offset for setSelectionRange
    return true;
  }

  async function check() {
    timer = null;
    const text = input.value;
    const mine = ++seq;
    if (!text.trim()) {
      clearError();
      setStatus('ok', emptyText);
      return;
    }
    if (routePresent === false) {
      setStatus('muted', 'Checked when you save (this server has no live check).');
      return;
    }
    try {
      await api('POST', '/v1/expressions/check', { expression: text });
      routePresent = true;
      if (mine !== seq) return;
      clearError();
      setStatus('ok', '✓ Valid expression.');
    } catch (e) {
      if (mine !== seq) return;
      const p = e.problem || {};
      if (p.code === 'invalid_expression') {
        routePresent = true;
        showProblem(p, text);
      } else if (e.status === 404 || e.status === 405) {
        routePresent = false;
        clearError();
        setStatus('muted', 'Checked when you save (this server has no live check: POST /v1/expressions/check answered ' + e.status + ').');
      } else {
        clearError();
        setStatus('muted', `Could not check: ${errorText(e)}`);
      }
    }
  }

  input.addEventListener('input', () => {
    if (timer) clearTimeout(timer);
    seq += 1; // an answer for older text is now stale
    status.classList.add('stale'); // dimmed until the answer for the new text
    timer = setTimeout(check, DEBOUNCE_MS);
  });
  goTo.addEventListener('click', () => {
    if (errorAt === null) return;
    input.focus();
    input.setSelectionRange(errorAt, Math.min(errorAt + 1, input.value.length));
  });
  caret.addEventListener('click', () => goTo.click());

  if (input.value.trim()) check();
  else setStatus('ok', emptyText);

  return {
    node,
    input,
    value: () => input.value.trim(),
    showProblem: (p) => showProblem(p),
    setLabel(text) { labelEl.textContent = text; },
    setPath(p) { input.dataset.field = p; },
    checkNow() { if (timer) clearTimeout(timer); return check(); },
  };
}
