// wallboard/waiting.js: the drill-down.  A queue's waiting interactions
// (GET /v1/interactions?state=queued|offered&queue=Q) and, for one of
// them, "why is it still waiting" (GET /v1/interactions/{id}/explain) in
// plain words.  Reloaded when the stream reports something in that queue.
import { api, listAll, h, duration, errorText, ApiError } from '../api.js';
import { clock, plural, isAre, clockTime } from './util.js';

// The explanation as sentences: [{text, key}].  `x` the explain document,
// `ix` the interaction (from the list, may be null), `now` server time.
export function explainSentences(x, ix, queue, now) {
  const out = [];
  const say = (text, key = '') => out.push({ text, key });
  if (x.state === 'offered') {
    const to = ix && ix.offered_to && ix.offered_to.length ? ix.offered_to.join(', ') : 'an agent';
    say(`It is being offered to ${to} right now and waits for an answer.`, 'summary');
    if (x.waiting) say(`${plural(x.waiting, 'other interaction waits', 'other interactions wait')} in ${queue} behind the offers.`);
    if (x.excluded) say(`${plural(x.excluded, 'agent was', 'agents were')} excluded after rejecting it or letting the offer time out.`);
    return out;
  }
  if (x.state !== 'queued') {
    say(`It is no longer waiting: it is ${String(x.state).replace(/_/g, ' ')}.`, 'summary');
    return out;
  }
  const loggedOut = Math.max(0, x.eligible - x.available - x.blocked_by_capacity - x.not_ready);
  // The summary first: the one reason that matters most.
  let summary;
  if (x.preferred_agent) {
    summary = x.preferred_until
      ? `It is reserved for ${x.preferred_agent} until ${clockTime(x.preferred_until)} (${duration(x.preferred_until - now)} from now); then it goes to anyone who matches.`
      : `It is reserved for ${x.preferred_agent}, with no time limit.`;
  } else if (x.eligible === 0) {
    summary = x.next_step_at
      ? `No agent matches the current routing step; the next step widens the search in ${duration(x.next_step_at - now)}.`
      : `No agent serving ${queue} matches it, and there is no further step: it waits until an agent who matches is added.`;
  } else if (x.available === 0) {
    const why = [];
    if (x.blocked_by_capacity) why.push(`${x.blocked_by_capacity} busy up to capacity`);
    if (x.not_ready) why.push(`${x.not_ready} not ready`);
    if (loggedOut) why.push(`${loggedOut} logged out`);
    summary = `Nobody who could take it is free: ${why.join(', ') || 'none of them is ready'}.`;
  } else if (x.position > 1) {
    summary = `${plural(x.position - 1, 'interaction is', 'interactions are')} ahead of it; it is offered when those are.`;
  } else {
    summary = 'It is next and an agent is free: it should be offered in a moment.';
  }
  say(summary, 'summary');
  say(`${plural(x.eligible, 'agent', 'agents')} could take it; ${x.available} ${isAre(x.available)} ready; `
    + `${x.blocked_by_capacity} ${isAre(x.blocked_by_capacity)} busy up to capacity; `
    + `${x.not_ready} ${isAre(x.not_ready)} not ready (not ready, in wrap-up or not responding)`
    + `${loggedOut ? `; ${loggedOut} ${isAre(loggedOut)} logged out` : ''}.`, 'agents');
  say(`${plural(x.members, 'agent serves', 'agents serve')} ${queue}; ${x.members - x.eligible} of them do${x.members - x.eligible === 1 ? 'es' : ''} not match the current step.`);
  say(`Position ${x.position} of ${x.waiting} waiting in ${queue}.`, 'position');
  if (x.steps > 1) {
    say(x.next_step_at
      ? `Routing step ${x.step + 1} of ${x.steps}; step ${x.step + 2} applies at ${clockTime(x.next_step_at)} (in ${duration(Math.max(0, x.next_step_at - now))}).`
      : `Routing step ${x.step + 1} of ${x.steps}: the last one.`, 'step');
  }
  if (x.excluded) say(`${plural(x.excluded, 'agent was', 'agents were')} excluded after rejecting it or letting an offer time out.`);
  return out;
}

export class WaitingView {
  constructor({ root, title, list, explain, hint }) {
    this.root = root;
    this.title = title;
    this.list = list;
    this.explainBox = explain;
    this.hint = hint;
    this.queue = null;
    this.items = [];
    this.selectedIx = null;
    this.explained = null; // {x, ix, at}
    this.loadTimer = null;
    this.explainTimer = null;
    this.buttons = new Map(); // id -> {btn, wait}
  }

  select(queue) {
    this.queue = queue;
    this.selectedIx = null;
    this.explained = null;
    this.title.textContent = `Waiting in ${queue}`;
    this.hint.hidden = true;
    this.explainBox.replaceChildren();
    this.load();
  }

  // Something happened in a queue (an event or new figures): list again
  // (and explain the picked interaction again, if it still waits).
  onQueueChange(queue) {
    if (!queue || queue !== this.queue) return;
    clearTimeout(this.loadTimer);
    this.loadTimer = setTimeout(() => this.load(), 250);
  }

  // An agent changed: every explanation may change (who is ready).
  onAgentChange() {
    if (this.selectedIx && this.waits(this.selectedIx)) this.scheduleExplain();
  }

  waits(id) {
    return this.items.some((i) => i.id === id);
  }

  scheduleExplain() {
    clearTimeout(this.explainTimer);
    this.explainTimer = setTimeout(() => {
      if (this.selectedIx && this.waits(this.selectedIx)) this.explain(this.selectedIx);
    }, 300);
  }

  async load() {
    const q = this.queue;
    if (!q) return;
    let items;
    try {
      const enc = encodeURIComponent(q);
      const [queued, offered] = await Promise.all([
        listAll(`/v1/interactions?state=queued&queue=${enc}`),
        listAll(`/v1/interactions?state=offered&queue=${enc}`),
      ]);
      items = [...offered, ...queued].sort((a, b) => Number(a.id) - Number(b.id) || String(a.id).localeCompare(String(b.id)));
    } catch (e) {
      if (q !== this.queue) return;
      this.list.replaceChildren(h('li', { class: 'error' }, `Could not list the waiting interactions: ${errorText(e)}`));
      return;
    }
    if (q !== this.queue) return; // another queue was picked meanwhile
    this.items = items;
    this.render();
    const sel = this.selectedIx;
    if (sel && this.waits(sel)) {
      this.explained = this.explained && this.explained.id === sel ? { ...this.explained, ix: items.find((i) => i.id === sel) } : this.explained;
      this.scheduleExplain();
    } else if (sel) {
      this.explained = null;
      this.explainBox.replaceChildren(
        h('h3', {}, `#${sel}`),
        h('p', { class: 'muted', 'data-testid': 'explain-text' }, `#${sel} is no longer waiting in ${q}: it was answered, abandoned or moved.`));
    }
  }

  render() {
    this.buttons.clear();
    if (!this.items.length) {
      this.list.replaceChildren(h('li', { class: 'muted' }, `Nothing is waiting in ${this.queue}.`));
      return;
    }
    this.list.replaceChildren(...this.items.map((ix) => {
      const wait = h('span', { class: 'wait' }, '');
      const btn = h('button', {
        type: 'button',
        class: 'ix',
        'data-testid': `waiting-${ix.id}`,
        'aria-pressed': ix.id === this.selectedIx ? 'true' : 'false',
        'aria-controls': 'explain',
        onclick: () => this.explain(ix.id, true),
      },
      h('strong', {}, `#${ix.id}`), ` ${ix.channel}`,
      ix.priority ? h('span', { class: 'muted' }, ` · priority ${ix.priority}`) : '',
      ' · ', wait,
      ix.state === 'offered' ? h('span', { class: 'badge offered' }, `offered${ix.offered_to ? ' to ' + ix.offered_to.join(', ') : ''}`) : '');
      this.buttons.set(ix.id, { btn, wait, ix });
      return h('li', {}, btn);
    }));
    this.tick();
  }

  async explain(id, fromClick = false) {
    if (!id) return;
    this.selectedIx = id;
    for (const [bid, b] of this.buttons) b.btn.setAttribute('aria-pressed', bid === id ? 'true' : 'false');
    const ix = this.items.find((i) => i.id === id) || null;
    let x;
    try {
      x = await api('GET', `/v1/interactions/${encodeURIComponent(id)}/explain`);
    } catch (e) {
      if (this.selectedIx !== id) return;
      const gone = e instanceof ApiError && (e.status === 404 || e.status === 409);
      this.explainBox.replaceChildren(
        h('h3', {}, `#${id}`),
        h('p', { class: gone ? 'muted' : 'error', 'data-testid': 'explain-text' },
          gone ? `#${id} is no longer waiting (answered, abandoned or moved).` : `Could not explain #${id}: ${errorText(e)}`));
      return;
    }
    if (this.selectedIx !== id) return;
    this.explained = { x, ix, id };
    this.renderExplain();
    if (fromClick) this.explainBox.focus();
  }

  renderExplain() {
    const e = this.explained;
    if (!e) return;
    const now = clock.now();
    const lines = explainSentences(e.x, e.ix, this.queue, now);
    // Ticking: change the words in place (no rebuild, focus stays put).
    if (e.nodes && e.nodes.length === lines.length && e.nodes[0].isConnected) {
      lines.forEach((l, i) => { if (e.nodes[i].textContent !== l.text) e.nodes[i].textContent = l.text; });
      return;
    }
    const [first, ...rest] = lines;
    const summary = h('p', { class: 'summary' }, first.text);
    const items = rest.map((l) => h('li', { 'data-key': l.key || undefined }, l.text));
    e.nodes = [summary, ...items];
    this.explainBox.replaceChildren(
      h('h3', {}, `Why is #${e.id} still waiting?`),
      h('div', { 'data-testid': 'explain-text' }, summary, h('ul', {}, items)),
      e.ix ? h('p', { class: 'muted small' }, `Arrived ${clockTime(e.ix.arrived_at)} · ${e.ix.channel}${e.ix.priority ? ` · priority ${e.ix.priority}` : ''}`) : '');
  }

  tick() {
    const now = clock.now();
    for (const { wait, ix } of this.buttons.values()) {
      wait.textContent = `waiting ${duration(now - ix.arrived_at)}`;
    }
    // Re-ask when the next step is due: the answer changes then.
    const e = this.explained;
    if (e && e.x.next_step_at && now >= e.x.next_step_at && !e.refetched) {
      e.refetched = true;
      this.scheduleExplain();
    } else if (e && (e.x.next_step_at || e.x.preferred_until)) {
      this.renderExplain();
    }
  }
}
