// wallboard/queues.js: the queues table.  One row per visible queue, fed
// by the stream's stats:queue:ID pushes (and the first GET); a total row
// recomputed from the rows' counters (sums, never averages of ratios).
// Oldest wait ticks every second from the figures' `at`.
import { h, duration } from '../api.js';
import { clock, pct, num } from './util.js';

function sumCounts(list, key) {
  return list.reduce((a, s) => a + ((s && s.today && s.today[key]) || 0), 0);
}

export class QueuesView {
  // tbody: the table body; configs: Map id -> queue configuration (for
  // the SL target); onSelect(queueId): a queue was picked for drill-down.
  constructor({ tbody, tfoot, configs, onSelect }) {
    this.tbody = tbody;
    this.tfoot = tfoot;
    this.configs = configs;
    this.onSelect = onSelect;
    this.rows = new Map(); // id -> {tr, cells, stats, receivedAt}
    this.selected = null;
  }

  setQueues(ids) {
    this.tbody.replaceChildren();
    this.rows.clear();
    for (const id of ids) this.addRow(id);
    this.buildTotal();
  }

  addRow(id) {
    const t = (k) => `q-${id}-${k}`;
    const cell = (k, extra = {}) => h('td', { 'data-testid': t(k), class: 'num', ...extra }, '–');
    const pick = h('button', {
      type: 'button',
      class: 'linkish',
      'aria-controls': 'waiting-panel',
      'aria-pressed': 'false',
      title: `Show the interactions waiting in ${id}`,
      onclick: (ev) => {
        ev.stopPropagation();
        this.select(id);
      },
    }, id);
    const cells = {
      waiting: cell('waiting'),
      oldest: cell('oldest'),
      sl: cell('sl'),
      target: cell('target'),
      answered: cell('answered'),
      abandoned: cell('abandoned'),
      asa: cell('asa'),
      ewt: cell('ewt'),
      ready: cell('ready'),
      busy: cell('busy'),
      notReady: cell('not-ready'),
    };
    const tr = h('tr', { 'data-queue': id, onclick: () => this.select(id) },
      h('th', { scope: 'row' }, pick),
      cells.waiting, cells.oldest, cells.sl, cells.target, cells.answered, cells.abandoned,
      cells.asa, cells.ewt, cells.ready, cells.busy, cells.notReady);
    const cfg = this.configs.get(id);
    const target = cfg && cfg.service_level && typeof cfg.service_level.target === 'number' ? cfg.service_level.target : null;
    this.rows.set(id, { tr, pick, cells, stats: null, target });
    cells.target.textContent = target === null ? '–' : pct(target);
    this.tbody.append(tr);
  }

  buildTotal() {
    const c = (k) => h('td', { class: 'num', 'data-testid': `queues-total-${k}` }, '–');
    this.total = {
      waiting: c('waiting'), oldest: c('oldest'), sl: c('sl'), answered: c('answered'),
      abandoned: c('abandoned'), asa: c('asa'), ready: c('ready'), busy: c('busy'), notReady: c('not-ready'),
    };
    const t = this.total;
    this.tfoot.replaceChildren(h('tr', {},
      h('th', { scope: 'row' }, 'All queues'),
      t.waiting, t.oldest, t.sl, h('td', { class: 'num' }, '–'), t.answered, t.abandoned, t.asa,
      h('td', { class: 'num' }, '–'),
      t.ready, t.busy, t.notReady));
    t.ready.title = t.busy.title = t.notReady.title = 'Each agent once, however many queues it serves';
  }

  // The total row's agents: each visible agent once ({ready, busy, not_ready}).
  setAgentTotals(n) {
    if (!this.total) return;
    this.total.ready.textContent = String(n.ready);
    this.total.busy.textContent = String(n.busy);
    this.total.notReady.textContent = String(n.not_ready);
  }

  has(id) {
    return this.rows.has(id);
  }

  ids() {
    return [...this.rows.keys()];
  }

  // A figures document (GET /v1/stats/queues/{id} or a stream push).
  update(stats) {
    const row = this.rows.get(stats.queue);
    if (!row) return;
    if (row.stats && row.stats.at > stats.at) return; // an older answer than what we show
    clock.sync(stats.at);
    row.stats = stats;
    const c = row.cells;
    const today = stats.today || {};
    const ag = stats.agents || {};
    c.waiting.textContent = num(stats.waiting);
    c.waiting.title = stats.offering ? `${stats.offering} of them being offered to an agent` : '';
    c.sl.textContent = pct(today.service_level);
    c.sl.title = `answered within ${Math.round((stats.sl_threshold_ms || 0) / 1000)} s`;
    c.sl.classList.toggle('below', row.target !== null && today.service_level !== null && today.service_level < row.target);
    c.answered.textContent = num(today.answered);
    c.abandoned.textContent = num(today.abandoned);
    c.abandoned.title = today.short_abandoned ? `${today.short_abandoned} short (not counted in SL)` : '';
    c.asa.textContent = today.asa_ms === null || today.asa_ms === undefined ? '–' : duration(today.asa_ms);
    c.ewt.textContent = stats.estimated_wait_ms === null || stats.estimated_wait_ms === undefined
      ? (stats.waiting ? 'unknown' : '–') : duration(stats.estimated_wait_ms);
    c.ready.textContent = num(ag.ready);
    c.busy.textContent = num(ag.busy);
    c.notReady.textContent = num(ag.not_ready);
    if (ag.not_responding) {
      c.notReady.append(h('span', { class: 'muted small' }, ` +${ag.not_responding} not responding`));
    }
    c.waiting.classList.toggle('hot', (stats.waiting || 0) > 0 && (ag.ready || 0) === 0);
    this.updateTotal();
    this.tick();
  }

  tickRow(row) {
    const s = row.stats;
    if (!s) return;
    if (!s.waiting) {
      row.cells.oldest.textContent = '–';
      return;
    }
    // oldest_wait_ms was true at `at`; it grows with the server's clock.
    const ms = s.oldest_wait_ms + Math.max(0, clock.now() - s.at);
    row.cells.oldest.textContent = duration(ms);
    row.cells.oldest.classList.toggle('below', ms > (s.sl_threshold_ms || Infinity));
  }

  updateTotal() {
    const all = [...this.rows.values()].map((r) => r.stats).filter(Boolean);
    const t = this.total;
    const answered = sumCounts(all, 'answered');
    const inSl = sumCounts(all, 'answered_in_sl');
    const abandoned = sumCounts(all, 'abandoned');
    const short = sumCounts(all, 'short_abandoned');
    const wait = sumCounts(all, 'answer_wait_ms');
    const den = answered + abandoned - short;
    t.waiting.textContent = String(all.reduce((a, s) => a + (s.waiting || 0), 0));
    t.sl.textContent = pct(den > 0 ? inSl / den : null);
    t.answered.textContent = String(answered);
    t.abandoned.textContent = String(abandoned);
    t.asa.textContent = answered > 0 ? duration(wait / answered) : '–';
  }

  tick() {
    let oldest = null;
    for (const row of this.rows.values()) {
      this.tickRow(row);
      const s = row.stats;
      if (s && s.waiting) {
        const ms = s.oldest_wait_ms + Math.max(0, clock.now() - s.at);
        oldest = oldest === null ? ms : Math.max(oldest, ms);
      }
    }
    if (this.total) this.total.oldest.textContent = oldest === null ? '–' : duration(oldest);
  }

  stats(id) {
    const r = this.rows.get(id);
    return r ? r.stats : null;
  }

  select(id) {
    if (!this.rows.has(id)) return;
    this.selected = id;
    for (const [qid, r] of this.rows) {
      const on = qid === id;
      r.tr.classList.toggle('selected', on);
      r.pick.setAttribute('aria-pressed', on ? 'true' : 'false');
    }
    this.onSelect(id);
  }
}
