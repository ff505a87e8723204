// desktop/chatpane.js: a chat's transcript and the agent's message box.
// Customer and agent messages look different (side, colour, name); Enter
// sends, Shift+Enter makes a new line; our typing is sent, throttled; the
// customer's typing shows under the transcript.  Messages are kept by
// their number n, so the stream and the API may both deliver one.
import { api, errorText, h, toast } from '../api.js';
import { clock } from './util.js';

const TYPING_EVERY_MS = 3000; // at most one "typing: true" per this
const TYPING_IDLE_MS = 4000; // no key for this long: "typing: false"
const THEIR_TYPING_MS = 7000; // the customer's indicator, without news, goes after this

export class ChatPane {
  // view: the IxView (id, customer name, readOnly, onMessage(m))
  constructor(view) {
    this.view = view;
    const id = view.id;
    this.byN = new Map(); // n -> li
    this.transcript = h('ol', {
      class: 'transcript',
      role: 'log',
      'aria-live': 'polite',
      'aria-label': 'Conversation',
      'data-testid': `transcript-${id}`,
      tabindex: '0',
    });
    this.typing = h('p', { class: 'typing', 'data-testid': `typing-${id}`, hidden: true });
    this.el = h('section', { class: 'chat', 'aria-label': 'Chat' }, this.transcript, this.typing);
    this.sentTypingAt = 0;
    this.typingOn = false;
    this.idleTimer = null;
    this.theirTimer = null;
    if (!view.readOnly) this.buildComposer();
  }

  buildComposer() {
    const id = this.view.id;
    const inputId = `chat-input-field-${id}`;
    this.input = h('textarea', {
      id: inputId,
      class: 'chat-input',
      rows: '3',
      maxlength: '4000',
      'data-testid': `chat-input-${id}`,
      'aria-describedby': `chat-hint-${id}`,
    });
    this.sendBtn = h('button', { type: 'submit', 'data-testid': `chat-send-${id}` }, 'Send');
    this.label = h('label', { for: inputId }, 'Your reply');
    this.form = h(
      'form',
      { class: 'composer', onsubmit: (e) => { e.preventDefault(); this.send(); } },
      this.label,
      h('div', { class: 'composer-row' }, this.input, this.sendBtn),
      h('p', { class: 'hint muted', id: `chat-hint-${id}` }, 'Enter sends · Shift+Enter for a new line'),
    );
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.send();
      }
    });
    this.input.addEventListener('input', () => this.typed());
    this.el.append(this.form);
  }

  // The composer works only while connected.
  setEnabled(on, why) {
    if (!this.input) return;
    this.input.disabled = !on;
    this.sendBtn.disabled = !on;
    this.input.placeholder = on ? '' : why || '';
    if (!on) this.stopTyping();
  }

  setCustomer(name) {
    if (this.label) this.label.textContent = `Your reply to ${name}`;
    this.customerName = name;
  }

  // Replace the transcript with the server's list (after a load or a
  // reconnect); messages already shown stay.
  setMessages(items) {
    for (const m of items) this.add(m, true);
    this.scrollDown(true);
  }

  // One message; true when it is new.
  add(m, quiet = false) {
    if (!m || this.byN.has(m.n)) return false;
    const from = m.from === 'agent' || m.from === 'customer' ? m.from : 'system';
    const who = from === 'system' ? '' : m.name || (from === 'customer' ? this.customerName || 'Customer' : 'Agent');
    const li = h(
      'li',
      { class: `msg from-${from}`, 'data-n': String(m.n), 'data-from': from },
      from === 'system'
        ? null
        : h('div', { class: 'msg-meta' }, h('span', { class: 'msg-who' }, from === 'customer' ? `${who} (customer)` : who), ' ', h('time', {}, clock(m.at))),
      h('div', { class: 'msg-text' }, m.text),
    );
    // in order of n: most often at the end
    let before = null;
    for (const [n, el] of this.byN) if (n > m.n && (!before || n < Number(before.dataset.n))) before = el;
    const nearBottom = this.atBottom();
    this.transcript.insertBefore(li, before);
    this.byN.set(m.n, li);
    if (from === 'customer') this.setTheirTyping(false);
    if (!quiet) {
      this.scrollDown(nearBottom || from === 'agent');
      this.view.onMessage(m);
    }
    return true;
  }

  atBottom() {
    const t = this.transcript;
    return t.scrollHeight - t.scrollTop - t.clientHeight < 40;
  }

  scrollDown(force) {
    if (force) this.transcript.scrollTop = this.transcript.scrollHeight;
  }

  async send() {
    const text = this.input.value.trim();
    if (!text || this.input.disabled || this.sending) return;
    this.sending = true;
    this.input.value = '';
    const pending = h('li', { class: 'msg from-agent pending' }, h('div', { class: 'msg-meta' }, 'Sending…'), h('div', { class: 'msg-text' }, text));
    this.transcript.append(pending);
    this.scrollDown(true);
    try {
      const m = await api('POST', `/v1/interactions/${this.view.id}/messages`, { text });
      pending.remove();
      this.add(m);
      this.stopTyping();
    } catch (e) {
      pending.remove();
      // give the text back, before whatever was typed since
      this.input.value = this.input.value ? `${text}\n${this.input.value}` : text;
      toast(e.code === 'invalid_state' ? 'The chat has ended: the message was not sent.' : `Not sent: ${errorText(e)}`, 'error');
    } finally {
      this.sending = false;
      this.input.focus();
    }
  }

  typed() {
    clearTimeout(this.idleTimer);
    if (!this.input.value.trim()) {
      this.stopTyping();
      return;
    }
    const t = Date.now();
    if (!this.typingOn || t - this.sentTypingAt > TYPING_EVERY_MS) {
      this.typingOn = true;
      this.sentTypingAt = t;
      this.postTyping(true);
    }
    this.idleTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    clearTimeout(this.idleTimer);
    if (!this.typingOn) return;
    this.typingOn = false;
    this.postTyping(false);
  }

  postTyping(typing) {
    api('POST', `/v1/interactions/${this.view.id}/typing`, { typing }).catch(() => {});
  }

  // The customer's typing indicator.
  setTheirTyping(on) {
    clearTimeout(this.theirTimer);
    this.typing.hidden = !on;
    this.typing.textContent = on ? `${this.customerName || 'The customer'} is typing…` : '';
    if (on) this.theirTimer = setTimeout(() => this.setTheirTyping(false), THEIR_TYPING_MS);
  }

  focus() {
    if (this.input && !this.input.disabled) this.input.focus();
  }

  destroy() {
    this.stopTyping();
    clearTimeout(this.theirTimer);
  }
}
