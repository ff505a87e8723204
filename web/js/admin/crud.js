// admin/crud.js: one configuration collection as a section: its table,
// a New / Edit form (the editor of the collection inside), Delete with a
// confirm.  Saving is POST (new) or PUT with If-Match: "version" (edit);
// the server's problem is shown next to the form and the control it
// names is marked.  The URL hash says what is open: #queues,
// #queues/new, #queues/billing.
import { api, h, listAll, toast } from '../api.js';
import { ClientError, clearMarks, confirmDialog, field, markField, problemNode, sectionFrame, textInput, uid } from './ui.js';

const enc = encodeURIComponent;

// spec: {id, title, singular, plural?, path, intro?, columns: [{label, cell(o)}],
//   editor: async (item | null, ctx) => {node, value(), showProblem?(problem) -> bool, focus?()},
//   advanced?: [known members]: the others are edited as JSON,
//   afterSave?: async (saved, isNew, editor)}
export function collectionSection(spec) {
  return {
    id: spec.id,
    title: spec.title,
    mount(container, sub) {
      const inst = new Collection(spec, container);
      inst.start(sub);
      return inst;
    },
  };
}

class Collection {
  constructor(spec, container) {
    this.spec = spec;
    this.items = [];
    this.open = null; // null | 'new' | id
    const frame = sectionFrame(spec.title);
    this.heading = frame.heading;
    this.newButton = h('button', { type: 'button', onclick: () => { location.hash = `#${spec.id}/new`; } }, `New ${spec.singular}`);
    this.error = frame.error;
    this.slot = h('div', { class: 'editor-slot' });
    this.tbody = h('tbody');
    this.status = h('p', { class: 'muted', role: 'status' }, 'Loading…');
    const cols = spec.columns.map((c) => h('th', { scope: 'col' }, c.label));
    this.table = h('table', { class: 'items' },
      h('caption', { class: 'visually-hidden' }, spec.title),
      h('thead', {}, h('tr', {}, cols, h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      this.tbody);
    container.append(frame.section([this.newButton],
      spec.intro ? h('p', { class: 'intro muted' }, spec.intro) : null,
      this.error, this.slot, this.table, this.status));
  }

  async start(sub) {
    await this.reload();
    this.route(sub);
  }

  focusHeading() { this.heading.focus(); }

  async reload() {
    try {
      this.items = await listAll(this.spec.path);
      this.renderRows();
    } catch (e) {
      this.status.textContent = '';
      this.error.replaceChildren(problemNode(e));
    }
  }

  renderRows() {
    const { spec } = this;
    this.tbody.replaceChildren(...this.items.map((o) => h('tr', { dataset: { id: o.id } },
      spec.columns.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c.cell(o)) : h('td', {}, c.cell(o)))),
      h('td', { class: 'row-actions' },
        h('button', { type: 'button', class: 'secondary edit', 'aria-label': `Edit ${spec.singular} ${o.id}`,
          onclick: () => { location.hash = `#${spec.id}/${enc(o.id)}`; } }, 'Edit'),
        h('button', { type: 'button', class: 'secondary delete', 'aria-label': `Delete ${spec.singular} ${o.id}`,
          onclick: (ev) => this.remove(o, ev.currentTarget) }, 'Delete')))));
    const plural = spec.plural || spec.title.toLowerCase();
    this.status.textContent = this.items.length ? `${this.items.length} ${this.items.length === 1 ? spec.singular : plural}` : `No ${plural} yet.`;
  }

  // The hash's sub-part: null (list only), 'new' or an id.
  async route(sub) {
    if (sub === this.open && this.form) return;
    const was = this.open;
    this.closeForm();
    if (sub === 'new') await this.openForm(null);
    else if (sub) {
      try {
        const item = await api('GET', `${this.spec.path}/${enc(sub)}`);
        await this.openForm(item);
      } catch (e) {
        this.error.replaceChildren(problemNode(e));
      }
    } else if (was && was !== 'new') {
      // back to the list: the focus goes where the admin came from
      const row = [...this.tbody.rows].find((r) => r.dataset.id === was);
      const btn = row && row.querySelector('button.edit');
      (btn || this.newButton).focus();
    }
  }

  closeForm() {
    this.slot.replaceChildren();
    this.form = null;
    this.open = null;
  }

  async openForm(item) {
    const { spec } = this;
    const isNew = !item;
    this.open = isNew ? 'new' : item.id;
    this.error.replaceChildren();
    const titleId = uid('t');
    const formError = h('div', { class: 'form-error', role: 'alert' });
    const idInput = textInput(isNew ? '' : item.id, { maxlength: '64', pattern: '[A-Za-z0-9_.\\-]{1,64}', required: true });
    if (!isNew) idInput.readOnly = true;
    let editor;
    try {
      editor = await spec.editor(item, { isNew });
    } catch (e) {
      this.error.replaceChildren(problemNode(e));
      return;
    }
    if (this.open !== (isNew ? 'new' : item.id)) return; // another route came first
    let advanced = null;
    if (spec.advanced) {
      const extra = {};
      for (const [k, v] of Object.entries(item || {})) if (!['id', 'version', ...spec.advanced].includes(k)) extra[k] = v;
      const ta = h('textarea', { rows: '4', class: 'json', spellcheck: 'false' }, JSON.stringify(extra, null, 2));
      advanced = { ta, node: h('details', { class: 'advanced' }, h('summary', {}, 'Advanced (JSON): other members'),
        field({ label: 'Members the form does not show, as a JSON object', control: ta, field: '_advanced', wide: true })) };
      if (Object.keys(extra).length) advanced.node.open = true;
    }
    const save = h('button', { type: 'submit' }, isNew ? `Create ${spec.singular}` : 'Save');
    const cancel = h('button', { type: 'button', class: 'secondary', onclick: () => { location.hash = `#${spec.id}`; } }, 'Cancel');
    const form = h('form', { class: 'panel editor', 'aria-labelledby': titleId, novalidate: true },
      h('h3', { id: titleId }, isNew ? `New ${spec.singular}` : `Edit ${spec.singular} ${item.id}`,
        isNew ? null : h('span', { class: 'muted version' }, ` version ${item.version}`)),
      spec.noId ? null : field({ label: 'Id', control: idInput, field: 'id', hint: isNew ? '1 to 64 of A-Z a-z 0-9 _ . - (cannot be changed later)' : 'The id cannot be changed.' }),
      editor.node,
      advanced && advanced.node,
      formError,
      h('div', { class: 'actions' }, save, cancel));
    form.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && !ev.defaultPrevented) { ev.preventDefault(); cancel.click(); }
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearMarks(form);
      formError.replaceChildren();
      let body;
      try {
        body = {};
        if (advanced) {
          let extra;
          try { extra = JSON.parse(advanced.ta.value.trim() || '{}'); } catch (e) { throw new ClientError('_advanced', `Advanced (JSON): ${e.message}`); }
          if (!extra || typeof extra !== 'object' || Array.isArray(extra)) throw new ClientError('_advanced', 'Advanced (JSON): an object, {...}');
          Object.assign(body, extra);
        }
        Object.assign(body, editor.value());
      } catch (e) {
        formError.replaceChildren(problemNode(e));
        if (e instanceof ClientError) markField(form, e.field, e.message);
        return;
      }
      save.disabled = true;
      save.setAttribute('aria-busy', 'true');
      try {
        let saved;
        if (isNew) {
          body.id = idInput.value.trim();
          saved = await api('POST', spec.path, body);
        } else {
          saved = await api('PUT', `${spec.path}/${enc(item.id)}`, body, { headers: { 'If-Match': `"${item.version}"` } });
        }
        if (spec.afterSave) await spec.afterSave(saved, isNew, editor);
        toast(`${spec.singular[0].toUpperCase()}${spec.singular.slice(1)} ${saved.id} ${isNew ? 'created' : 'saved'}.`);
        this.open = saved.id; // so that closing focuses its row
        await this.reload();
        location.hash = `#${spec.id}`;
      } catch (e) {
        const p = e.problem || {};
        formError.replaceChildren(problemNode(e, { onReload: () => this.reopen(item.id) }));
        const handled = p.field && editor.showProblem && editor.showProblem(p);
        if (!handled && p.field) markField(form, p.field, p.detail || p.code);
        if (!p.field) formError.querySelector('button')?.focus();
      } finally {
        save.disabled = false;
        save.removeAttribute('aria-busy');
      }
    });
    this.form = form;
    this.slot.replaceChildren(form);
    form.scrollIntoView({ block: 'nearest' });
    if (isNew) idInput.focus();
    else if (editor.focus) editor.focus();
    else (form.querySelector('input:not([readonly]), select, textarea') || save).focus();
  }

  async reopen(id) {
    this.closeForm();
    try {
      await this.openForm(await api('GET', `${this.spec.path}/${enc(id)}`));
    } catch (e) {
      this.error.replaceChildren(problemNode(e));
    }
  }

  async remove(o, button) {
    const { spec } = this;
    this.error.replaceChildren();
    if (!(await confirmDialog(`Delete ${spec.singular} “${o.id}”? This cannot be undone.`))) {
      button.focus();
      return;
    }
    try {
      await api('DELETE', `${spec.path}/${enc(o.id)}`, undefined, o.version ? { headers: { 'If-Match': `"${o.version}"` } } : {});
      toast(`${spec.singular[0].toUpperCase()}${spec.singular.slice(1)} ${o.id} deleted.`);
      if (this.open === o.id) location.hash = `#${spec.id}`;
      await this.reload();
      this.newButton.focus();
    } catch (e) {
      this.error.replaceChildren(h('p', {}, h('strong', {}, `Could not delete ${spec.singular} ${o.id}.`)), problemNode(e));
      button.focus();
    }
  }
}
