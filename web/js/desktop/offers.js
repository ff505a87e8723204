// desktop/offers.js: one card per offer, above the work area: channel,
// queue, customer, the time left to answer, Accept (focused when the agent
// is not typing somewhere) and Reject.
import { api, errorText, h, toast } from '../api.js';
import { channelName, customerOf, tick } from './util.js';

const $ = (id) => document.getElementById(id);

// Is the agent typing or choosing something?  Then an offer does not take
// the focus away (a keystroke would land on Accept).
function busyTyping() {
  const a = document.activeElement;
  return a && (a.tagName === 'TEXTAREA' || a.tagName === 'SELECT' || (a.tagName === 'INPUT' && a.type !== 'radio'));
}

export class Offers {
  // desk: {agentId, announce(text), onAccepted(ixid), refresh()}
  constructor(desk) {
    this.desk = desk;
    this.cards = new Map(); // ixid -> {el, offer}
    this.box = $('offers');
  }

  // offers: [{interaction, channel, deadline, ix?}] as they are now.
  render(offers) {
    const want = new Set(offers.map((o) => o.interaction));
    for (const [id, card] of this.cards) {
      if (!want.has(id)) {
        card.el.remove();
        this.cards.delete(id);
      }
    }
    let firstNew = null;
    for (const o of offers) {
      const card = this.cards.get(o.interaction);
      if (card) {
        this.fill(card, o);
        continue;
      }
      const c = { el: h('article', { class: 'offer-card', 'data-testid': `offer-${o.interaction}` }), offer: o };
      this.cards.set(o.interaction, c);
      this.fill(c, o);
      this.box.append(c.el);
      firstNew = firstNew || c;
      this.desk.announce(`New ${channelName(o.channel).toLowerCase()} offer${o.ix ? ` from the ${o.ix.queue} queue` : ''}.`);
    }
    this.box.hidden = this.cards.size === 0;
    if (firstNew && !busyTyping()) firstNew.accept.focus();
    tick();
  }

  fill(card, o) {
    const ix = o.ix || {};
    const who = customerOf(ix);
    const key = JSON.stringify([o.deadline, ix.queue, who.name, who.detail, o.channel]);
    if (card.key === key) return;
    const hadFocus = card.el.contains(document.activeElement) ? document.activeElement.dataset.role : null;
    card.key = key;
    card.offer = o;
    const id = o.interaction;
    const titleId = `offer-title-${id}`;
    card.accept = h(
      'button',
      { type: 'button', class: 'accept', 'data-testid': `accept-${id}`, 'data-role': 'accept', onclick: () => this.answer(id, 'accept') },
      'Accept',
    );
    card.reject = h(
      'button',
      { type: 'button', class: 'secondary', 'data-testid': `reject-${id}`, 'data-role': 'reject', onclick: () => this.answer(id, 'reject') },
      'Reject',
    );
    card.el.setAttribute('aria-labelledby', titleId);
    card.el.replaceChildren(
      h('div', { class: `offer-channel ch-${o.channel}` }, channelName(o.channel || ix.channel)),
      h(
        'div',
        { class: 'offer-body' },
        h('h2', { id: titleId, class: 'offer-title' }, `${who.name}`),
        h(
          'p',
          { class: 'offer-meta' },
          ix.queue ? `Queue ${ix.queue}` : '',
          who.detail ? ` · ${who.detail}` : '',
          ix.priority ? ` · priority ${ix.priority}` : '',
        ),
      ),
      h(
        'div',
        { class: 'offer-time' },
        h('span', { class: 'muted' }, 'Answer within'),
        h('strong', { class: 'countdown', 'data-deadline': String(o.deadline), 'data-expired': 'expiring…', 'aria-live': 'off' }),
      ),
      h('div', { class: 'offer-buttons' }, card.accept, card.reject),
    );
    if (hadFocus) (hadFocus === 'reject' ? card.reject : card.accept).focus();
  }

  async answer(id, action) {
    const card = this.cards.get(id);
    if (card) card.el.querySelectorAll('button').forEach((b) => (b.disabled = true));
    try {
      await api('POST', `/v1/agents/${encodeURIComponent(this.desk.agentId)}/${action}`, { interaction: id });
      if (card) {
        card.el.remove();
        this.cards.delete(id);
        this.box.hidden = this.cards.size === 0;
      }
      if (action === 'accept') this.desk.onAccepted(id);
    } catch (e) {
      toast(
        e.code === 'invalid_state' ? 'This offer is no longer available.' : `Could not ${action}: ${errorText(e)}`,
        'error',
      );
      if (card) card.el.querySelectorAll('button').forEach((b) => (b.disabled = false));
    }
    this.desk.refresh();
  }
}
