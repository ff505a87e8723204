// admin/keys.js: API keys for programs.  A new key is answered once by
// the server: it is shown in a dialog with a copy button and then
// forgotten (the list never has it).
import { api, h, listAll, toast } from '../api.js';
import { checkboxGroup, clearMarks, confirmDialog, field, fmtTime, markField, problemNode, sectionFrame, textInput, uid } from './ui.js';

const SCOPES = [
  ['config:read', 'config:read — read the configuration'],
  ['config:write', 'config:write — change the configuration'],
  ['interactions:read', 'interactions:read — read interactions'],
  ['interactions:write', 'interactions:write — create and act on interactions'],
  ['agents:read', 'agents:read — read agent states'],
  ['agents:write', 'agents:write — change agent states'],
  ['stream:read', 'stream:read — the event stream'],
  ['audit:read', 'audit:read — the audit log'],
  ['stats:read', 'stats:read — statistics, reports and metrics'],
];

// The dialog that shows a new key once.  Resolves when closed.
function showKeyOnce(created) {
  return new Promise((resolve) => {
    const titleId = uid('kt');
    const keyInput = h('input', { type: 'text', readonly: true, class: 'key', value: created.key, spellcheck: 'false', autocomplete: 'off' });
    const status = h('p', { class: 'hint', 'aria-live': 'polite' });
    const copy = h('button', { type: 'button' }, 'Copy');
    const done = h('button', { type: 'button', class: 'secondary' }, 'Done');
    const dlg = h('dialog', { class: 'key-dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, `API key “${created.name}” created`),
      h('p', { class: 'warn' }, 'Copy the key now: it is shown only this once and cannot be read again.'),
      field({ label: 'Key', control: keyInput, wide: true }),
      h('div', { class: 'actions' }, copy, done),
      status);
    copy.addEventListener('click', async () => {
      keyInput.focus();
      keyInput.select();
      try {
        if (!navigator.clipboard) throw new Error('no clipboard');
        await navigator.clipboard.writeText(keyInput.value);
        status.textContent = 'Copied to the clipboard.';
      } catch {
        status.textContent = 'The key is selected: press Ctrl+C (⌘C) to copy it.';
      }
    });
    done.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => {
      keyInput.value = '';
      dlg.remove();
      resolve();
    });
    document.body.append(dlg);
    dlg.showModal();
    keyInput.focus();
    keyInput.select();
  });
}

export const keys = {
  id: 'api-keys',
  title: 'API keys',
  mount(container) {
    const { heading, error, section } = sectionFrame('API keys');
    const tbody = h('tbody');
    const status = h('p', { class: 'muted', role: 'status' }, 'Loading…');

    const name = textInput('', { maxlength: '200' });
    const scopes = checkboxGroup({ legend: 'Scopes', options: SCOPES, selected: [], field: 'scopes', hint: 'What a program with this key may do; nothing else.' });
    scopes.node.classList.add('scope-list');
    const formError = h('div', { class: 'form-error', role: 'alert' });
    const create = h('button', { type: 'submit' }, 'Create key');
    const formTitle = uid('ft');
    const form = h('form', { class: 'panel editor', 'aria-labelledby': formTitle, novalidate: true },
      h('h3', { id: formTitle }, 'New API key'),
      h('div', { class: 'grid' }, field({ label: 'Name', control: name, field: 'name', hint: 'What the key is for, e.g. the CRM connector.' })),
      scopes.node, formError, h('div', { class: 'actions' }, create));

    async function reload() {
      try {
        const items = await listAll('/v1/api-keys');
        items.sort((a, b) => (b.created_at || 0) - (a.created_at || 0));
        tbody.replaceChildren(...items.map((k) => h('tr', { dataset: { id: k.id } },
          h('th', { scope: 'row' }, k.name),
          h('td', {}, h('code', {}, k.id)),
          h('td', {}, h('ul', { class: 'plain' }, (k.scopes || []).map((s) => h('li', {}, s)))),
          h('td', {}, fmtTime(k.created_at)),
          h('td', {}, k.created_by ?? ''),
          h('td', { class: 'row-actions' }, h('button', { type: 'button', class: 'secondary delete', 'aria-label': `Delete API key ${k.name} (${k.id})`,
            onclick: (ev) => remove(k, ev.currentTarget) }, 'Delete')))));
        status.textContent = items.length ? `${items.length} key${items.length === 1 ? '' : 's'}` : 'No API keys yet.';
      } catch (e) {
        error.replaceChildren(problemNode(e));
      }
    }

    async function remove(k, button) {
      error.replaceChildren();
      if (!(await confirmDialog(`Delete the API key “${k.name}” (${k.id})? Programs using it stop working at once.`))) {
        button.focus();
        return;
      }
      try {
        await api('DELETE', `/v1/api-keys/${encodeURIComponent(k.id)}`);
        toast(`API key ${k.name} deleted.`);
        await reload();
        name.focus();
      } catch (e) {
        error.replaceChildren(problemNode(e));
        button.focus();
      }
    }

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearMarks(form);
      formError.replaceChildren();
      create.disabled = true;
      try {
        const created = await api('POST', '/v1/api-keys', { name: name.value.trim(), scopes: scopes.value() });
        name.value = '';
        scopes.set([]);
        await reload();
        await showKeyOnce(created);
        toast(`API key ${created.name} created.`);
        name.focus();
      } catch (e) {
        formError.replaceChildren(problemNode(e));
        if (e.problem?.field) markField(form, e.problem.field, e.problem.detail);
      } finally {
        create.disabled = false;
      }
    });

    container.append(section([],
      h('p', { class: 'intro muted' }, 'Keys let programs use the API with the scopes you choose. A key is shown once, when it is created.'),
      error, form,
      h('table', { class: 'items' }, h('caption', { class: 'visually-hidden' }, 'API keys'),
        h('thead', {}, h('tr', {}, ['Name', 'Id', 'Scopes', 'Created', 'Created by'].map((t) => h('th', { scope: 'col' }, t)),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        tbody),
      status));
    reload();
    return { route() {}, focusHeading: () => heading.focus() };
  },
};
