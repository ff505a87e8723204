// desktop/sidepane.js: beside an interaction: its notes (never shown to
// the customer), the customer's earlier interactions, and its history.
import { api, errorText, h, toast } from '../api.js';
import { channelName, clock, eventName, IX_STATE_NAMES } from './util.js';

export class SidePane {
  constructor(view) {
    this.view = view;
    const id = view.id;
    this.notesList = h('ol', { class: 'notes', 'data-testid': `notes-${id}` });
    const noteId = `note-input-${id}`;
    this.noteInput = h('textarea', { id: noteId, rows: '2', maxlength: '4000', 'data-testid': `note-input-${id}` });
    this.noteBtn = h('button', { type: 'submit', class: 'secondary', 'data-testid': `note-add-${id}` }, 'Add note');
    this.noteForm = h(
      'form',
      { class: 'note-form', onsubmit: (e) => { e.preventDefault(); this.addNote(); } },
      h('label', { for: noteId }, 'New note (only staff see notes)'),
      this.noteInput,
      this.noteBtn,
    );
    this.relatedBox = h('div', { class: 'related', 'data-testid': `related-${id}` }, h('p', { class: 'muted' }, 'Loading…'));
    this.historyList = h('ol', { class: 'history', 'data-testid': `history-${id}` });
    this.el = h(
      'aside',
      { class: 'side', 'aria-label': 'Notes, earlier contacts and history' },
      h('details', { open: true }, h('summary', {}, 'Notes'), this.notesList, this.noteForm),
      h('details', { open: true }, h('summary', {}, 'Earlier contacts of this customer'), this.relatedBox),
      h('details', {}, h('summary', {}, 'History'), this.historyList),
    );
  }

  async load() {
    const id = this.view.id;
    const [notes, related] = await Promise.allSettled([
      api('GET', `/v1/interactions/${id}/notes`),
      api('GET', `/v1/interactions/${id}/related`),
    ]);
    if (notes.status === 'fulfilled') this.renderNotes(notes.value.items || []);
    else this.notesList.replaceChildren(h('li', { class: 'muted' }, `Notes unavailable: ${errorText(notes.reason)}`));
    if (related.status === 'fulfilled') this.renderRelated(related.value.items || []);
    else this.relatedBox.replaceChildren(h('p', { class: 'muted' }, `Unavailable: ${errorText(related.reason)}`));
  }

  renderNotes(items) {
    this.notesList.replaceChildren(
      ...(items.length
        ? items.map((n) =>
            h('li', { class: 'note' }, h('div', { class: 'note-meta muted' }, `${n.author || '?'} · ${clock(n.at)}`), h('div', { class: 'note-text' }, n.text)),
          )
        : [h('li', { class: 'muted empty' }, 'No notes yet.')]),
    );
  }

  renderRelated(items) {
    if (!items.length) {
      this.relatedBox.replaceChildren(h('p', { class: 'muted' }, 'None: this is the first contact we know of.'));
      return;
    }
    this.relatedBox.replaceChildren(
      h(
        'ul',
        { class: 'related-list' },
        items.map((x) =>
          h(
            'li',
            {},
            h('div', {}, h('strong', {}, channelName(x.channel)), ` · ${x.queue} · ${clock(x.created_at)}`),
            h(
              'div',
              { class: 'muted' },
              IX_STATE_NAMES[x.state] || x.state,
              x.wrapup_code ? ` (${x.wrapup_code})` : '',
              x.agent ? ` · ${x.agent}` : '',
              ` · #${x.id}`,
            ),
          ),
        ),
      ),
    );
  }

  renderHistory(history) {
    this.historyList.replaceChildren(
      ...(history || []).filter((e) => e.event !== 'chat.message').map((e) =>
        h(
          'li',
          {},
          h('time', { class: 'muted' }, clock(e.at)),
          ' ',
          eventName(e.event),
          e.agent ? ` · ${e.agent}` : '',
          e.target_agent ? ` → ${e.target_agent}` : '',
          e.event === 'interaction.transferred' || e.event === 'interaction.overflowed'
            ? ` · ${e.from_queue || '?'} → ${e.queue}`
            : e.queue && e.event === 'interaction.queued' ? ` · ${e.queue}` : '',
          e.wrapup_code ? ` · ${e.wrapup_code}` : '',
        ),
      ),
    );
  }

  // Notes may be added until the interaction is finished.
  setFinished(done) {
    this.noteInput.disabled = done;
    this.noteBtn.disabled = done;
    this.noteForm.hidden = done;
  }

  async addNote() {
    const text = this.noteInput.value.trim();
    if (!text) return;
    this.noteBtn.disabled = true;
    try {
      await api('POST', `/v1/interactions/${this.view.id}/notes`, { text });
      this.noteInput.value = '';
      const notes = await api('GET', `/v1/interactions/${this.view.id}/notes`);
      this.renderNotes(notes.items || []);
    } catch (e) {
      toast(`Note not saved: ${errorText(e)}`, 'error');
    } finally {
      this.noteBtn.disabled = false;
    }
  }
}
