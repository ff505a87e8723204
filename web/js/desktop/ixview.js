// desktop/ixview.js: one interaction in the work area: its tab in the
// list and its panel (who, where from, attributes, the chat or the call,
// End / Transfer, the wrap-up form, and the side pane).  A view may be
// read-only: an interaction opened by its address that is not one of the
// agent's open ones (an earlier contact of its own).
import { api, errorText, h, toast } from '../api.js';
import { ChatPane } from './chatpane.js';
import { SidePane } from './sidepane.js';
import { channelName, customerOf, IX_STATE_NAMES, tick, wrapDeadline } from './util.js';

const FINISHED = new Set(['completed', 'abandoned', 'canceled', 'ended']);

export class IxView {
  // desk: {codes, queues (Map), select(id), transfer(view), refresh(),
  //        markUnread(view), isSelected(view), close(view)}
  constructor(desk, id, { readOnly = false } = {}) {
    this.desk = desk;
    this.id = id;
    this.readOnly = readOnly;
    this.ix = null;
    this.unread = 0;
    this.tab = h('button', {
      type: 'button',
      role: 'tab',
      class: 'ix-tab',
      id: `tab-${id}`,
      'aria-controls': `panel-${id}`,
      'aria-selected': 'false',
      tabindex: '-1',
      'data-testid': `tab-${id}`,
      onclick: () => desk.select(id),
    });
    this.el = h('section', {
      class: 'ix-panel',
      role: 'tabpanel',
      id: `panel-${id}`,
      'aria-labelledby': `tab-${id}`,
      'data-testid': `panel-${id}`,
      hidden: true,
    });
    this.head = h('header', { class: 'ix-head' });
    this.actions = h('div', { class: 'ix-actions' });
    this.wrapup = h('section', { class: 'wrapup', 'aria-label': 'Wrap-up', hidden: true });
    this.attrs = h('dl', { class: 'attrs' });
    this.body = h('div', { class: 'ix-body' });
    this.side = new SidePane(this);
    this.center = h('div', { class: 'ix-center' }, this.head, this.actions, this.wrapup, this.attrs, this.body);
    this.el.append(this.center, this.side.el);
  }

  // Everything from the server: the interaction, its messages, notes,
  // related contacts.  Throws the ApiError of the interaction's GET.
  async load() {
    const ix = await api('GET', `/v1/interactions/${this.id}`);
    this.update(ix);
    await Promise.allSettled([this.loadMessages(), this.side.load()]);
  }

  async loadMessages() {
    if (!this.chat) return;
    try {
      const res = await api('GET', `/v1/interactions/${this.id}/messages`);
      this.chat.setMessages(res.items || []);
    } catch (e) {
      if (e.status !== 404) toast(`Transcript unavailable: ${errorText(e)}`, 'error');
    }
  }

  // The interaction again (after one of its events).
  async reload() {
    try {
      this.update(await api('GET', `/v1/interactions/${this.id}`));
    } catch (e) {
      if (e.status !== 404) throw e;
    }
  }

  update(ix) {
    const first = !this.ix;
    // an action's answer has no history: keep the one we have
    if (!ix.history && this.ix && this.ix.history) ix = { ...ix, history: this.ix.history };
    this.ix = ix;
    if (first && ix.channel === 'chat') {
      this.chat = new ChatPane(this);
      this.body.append(this.chat.el);
    } else if (first) {
      this.body.append(
        h(
          'p',
          { class: 'channel-note' },
          ix.channel === 'voice'
            ? 'Talk to the customer on your phone; choose End when the call is over.'
            : `Handle this ${channelName(ix.channel).toLowerCase()} in your mail or task tool; choose End when done.`,
        ),
      );
    }
    const who = customerOf(ix);
    if (this.chat) this.chat.setCustomer(who.name);
    this.renderTab(who);
    this.renderHead(who);
    this.renderAttrs();
    this.renderActions();
    this.renderWrapup();
    this.side.renderHistory(ix.history);
    this.side.setFinished(this.readOnly || FINISHED.has(ix.state));
    if (this.chat) {
      const on = !this.readOnly && ix.state === 'connected';
      this.chat.setEnabled(on, ix.state === 'wrap_up' ? 'The chat has ended.' : '');
    }
    tick();
  }

  renderTab(who) {
    const ix = this.ix;
    this.tab.replaceChildren(
      h('span', { class: `ch ch-${ix.channel}` }, channelName(ix.channel)),
      h('span', { class: 'tab-name' }, who.name),
      h('span', { class: `badge ${ix.state}` }, this.readOnly ? 'view' : IX_STATE_NAMES[ix.state] || ix.state),
      ...(this.unread ? [h('span', { class: 'unread', 'aria-label': `${this.unread} new` }, String(this.unread))] : []),
    );
  }

  renderHead(who) {
    const ix = this.ix;
    const since = ix.answered_at && !FINISHED.has(ix.state) ? ix.answered_at : null;
    this.head.replaceChildren(
      h(
        'div',
        { class: 'ix-title' },
        h('h2', {}, `${channelName(ix.channel)} with ${who.name}`),
        who.detail ? h('span', { class: 'muted' }, who.detail) : null,
      ),
      h(
        'p',
        { class: 'ix-meta' },
        h('span', { class: `badge ${ix.state}`, 'data-testid': `ix-state-${this.id}` }, IX_STATE_NAMES[ix.state] || ix.state),
        ` Queue ${ix.queue} · #${ix.id}`,

        since ? ' · for ' : '',
        since ? h('span', { 'data-since': String(since) }) : null,
        this.readOnly ? h('button', { type: 'button', class: 'secondary small', onclick: () => this.desk.close(this) }, 'Close') : null,
      ),
    );
  }

  renderAttrs() {
    const entries = Object.entries(this.ix.attributes || {});
    this.attrs.hidden = entries.length === 0;
    this.attrs.replaceChildren(
      ...entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, Array.isArray(v) ? v.join(', ') : String(v))]),
    );
  }

  renderActions() {
    const ix = this.ix;
    const connected = ix.state === 'connected';
    this.actions.hidden = this.readOnly || !connected;
    if (this.actions.hidden) return;
    if (this.actionsKey === ix.state) return;
    this.actionsKey = ix.state;
    const endLabel = ix.channel === 'chat' ? 'End chat' : ix.channel === 'voice' ? 'End call' : 'End';
    this.actions.replaceChildren(
      h('button', { type: 'button', class: 'secondary', 'data-testid': `transfer-${this.id}`, onclick: () => this.desk.transfer(this) }, 'Transfer…'),
      h('button', { type: 'button', class: 'danger', 'data-testid': `end-${this.id}`, onclick: (e) => this.end(e.target) }, endLabel),
    );
  }

  mode() {
    const q = this.desk.queues.get(this.ix.queue);
    const m = q && q.wrapup && q.wrapup.mode;
    if (m) return m;
    return wrapDeadline(this.ix) ? 'mandatory_timeout' : 'optional';
  }

  // The wrap-up form is built once per wrap-up (a choice being made is
  // never thrown away); later answers only move its deadline.
  renderWrapup() {
    const ix = this.ix;
    const on = !this.readOnly && ix.state === 'wrap_up';
    this.wrapup.hidden = !on;
    if (!on) {
      this.wrapupForm = null;
      return;
    }
    const deadline = wrapDeadline(ix);
    if (this.wrapupForm) {
      this.setWrapDeadline(deadline);
      return;
    }
    const mode = this.mode();
    const id = this.id;
    const required = mode !== 'optional' && mode !== 'none';
    const selId = `wrapup-code-field-${id}`;
    const select = h(
      'select',
      { id: selId, 'data-testid': `wrapup-code-${id}`, required: required || undefined },
      h('option', { value: '' }, 'Choose a code…'),
      ...this.desk.codes.map((c) => h('option', { value: c.id }, c.name || c.id)),
    );
    const finish = h('button', { type: 'submit', 'data-testid': `wrapup-finish-${id}`, disabled: required }, 'Finish');
    select.addEventListener('change', () => (finish.disabled = required && !select.value));
    const skip =
      required ? null : h('button', { type: 'button', class: 'secondary', 'data-testid': `wrapup-skip-${id}`, onclick: () => this.finish('', skip) }, 'Finish without a code');
    this.wrapDeadlineBox = h('span', { 'data-testid': `wrapup-deadline-${id}` });
    this.wrapupForm = h(
      'form',
      {
        onsubmit: (e) => {
          e.preventDefault();
          if (required && !select.value) select.focus();
          else this.finish(select.value, finish);
        },
      },
      h('h3', {}, 'Wrap-up'),
      h(
        'p',
        {},
        required ? 'Choose a wrap-up code to finish. ' : 'You may choose a wrap-up code, or finish without one. ',
        this.wrapDeadlineBox,
      ),
      h('label', { for: selId }, 'Wrap-up code'),
      h('div', { class: 'wrapup-row' }, select, finish, skip),
    );
    this.wrapup.replaceChildren(this.wrapupForm);
    this.wrapDeadlineAt = null;
    this.setWrapDeadline(deadline);
    if (this.desk.isSelected(this)) {
      const a = document.activeElement;
      if (!a || a === document.body || this.el.contains(a)) select.focus();
    }
  }

  setWrapDeadline(deadline) {
    if (this.wrapDeadlineAt === deadline) return;
    this.wrapDeadlineAt = deadline;
    this.wrapDeadlineBox.replaceChildren(
      ...(deadline
        ? ['Wrap-up ends by itself in ', h('strong', { class: 'countdown', 'data-deadline': String(deadline), 'data-expired': 'a moment' }), '.']
        : []),
    );
  }

  async end(button) {
    button.disabled = true;
    try {
      this.update(await api('POST', `/v1/interactions/${this.id}/complete`));
    } catch (e) {
      toast(`Could not end: ${errorText(e)}`, 'error');
    } finally {
      button.disabled = false;
    }
    this.desk.refresh();
  }

  async finish(code, button) {
    if (button) button.disabled = true;
    try {
      await api('POST', `/v1/interactions/${this.id}/wrapup`, code ? { code } : undefined);
      this.quiet = true;
      toast(`${customerOf(this.ix).name}: wrapped up${code ? ` (${code})` : ''}.`);
    } catch (e) {
      toast(`Could not finish the wrap-up: ${errorText(e)}`, 'error');
      if (button) button.disabled = false;
    }
    this.desk.refresh();
  }

  onMessage(m) {
    if (m.from === 'customer' && (!this.desk.isSelected(this) || document.hidden)) {
      this.unread++;
      this.renderTab(customerOf(this.ix));
    }
  }

  clearUnread() {
    if (!this.unread) return;
    this.unread = 0;
    if (this.ix) this.renderTab(customerOf(this.ix));
  }

  destroy() {
    if (this.chat) this.chat.destroy();
    this.tab.remove();
    this.el.remove();
  }
}
