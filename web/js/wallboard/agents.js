// wallboard/agents.js: the agents table and the supervisor's two actions
// (force not ready, log out).  Rows come from GET /v1/agents; each row's
// figures from GET /v1/agents/{id}/state and /v1/stats/agents/{id}, fetched
// again whenever the stream says something happened to the agent (the page
// does not re-implement the routing state machine).
import { api, h, duration, toast, errorText, ApiError } from '../api.js';
import { clock, coalescer, stateLabel, plural } from './util.js';

export class AgentsView {
  constructor({ tbody, dialog, reasons }) {
    this.tbody = tbody;
    this.dialog = dialog;
    this.reasons = reasons; // [{id, name}]
    this.reasonName = new Map(reasons.map((r) => [r.id, r.name || r.id]));
    this.rows = new Map(); // id -> {config, state, stats, cells...}
    this.channels = new Map(); // interaction id -> channel (immutable)
    this.refresh = coalescer((id) => this.load(id), 120);
    this.setupDialog();
  }

  setAgents(list) {
    this.tbody.replaceChildren();
    this.rows.clear();
    for (const a of list) this.addRow(a);
    if (!list.length) {
      this.tbody.append(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No agents in your teams.')));
    }
  }

  has(id) {
    return this.rows.has(id);
  }

  ids() {
    return [...this.rows.keys()];
  }

  addRow(a) {
    const badge = h('span', { class: 'badge', 'data-testid': `agent-${a.id}-state` }, '…');
    const activity = h('span', { class: 'muted small activity' }, '');
    const cells = {
      badge,
      activity,
      reason: h('td', { 'data-testid': `agent-${a.id}-reason` }, ''),
      since: h('td', { class: 'num', 'data-testid': `agent-${a.id}-since` }, '–'),
      work: h('td', { 'data-testid': `agent-${a.id}-work` }, ''),
      handled: h('td', { class: 'num', 'data-testid': `agent-${a.id}-handled` }, '–'),
    };
    const name = a.display_name || a.id;
    const nr = h('button', {
      type: 'button', class: 'secondary small', 'aria-label': `Force ${name} not ready`,
      onclick: () => this.ask('not-ready', a.id),
    }, 'Force not ready');
    const out = h('button', {
      type: 'button', class: 'secondary small', 'aria-label': `Log ${name} out`,
      onclick: () => this.ask('logout', a.id),
    }, 'Log out');
    const tr = h('tr', { 'data-agent': a.id },
      h('th', { scope: 'row' }, name, h('div', { class: 'muted small' }, a.id)),
      h('td', {}, badge, activity), cells.reason, cells.since, cells.work, cells.handled,
      h('td', { class: 'actions' }, h('div', { class: 'row-actions' }, nr, out)));
    this.rows.set(a.id, { config: a, name, tr, cells, nr, out, state: null, stats: null });
    this.tbody.append(tr);
  }

  // Fetch the agent's state and figures again.
  async load(id) {
    const row = this.rows.get(id);
    if (!row) return;
    let state, stats;
    try {
      [state, stats] = await Promise.all([
        api('GET', `/v1/agents/${encodeURIComponent(id)}/state`),
        api('GET', `/v1/stats/agents/${encodeURIComponent(id)}`),
      ]);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        // no longer visible (moved to another team, deleted)
        row.tr.remove();
        this.rows.delete(id);
        return;
      }
      throw e;
    }
    if (stats && typeof stats.at === 'number') clock.sync(stats.at);
    row.state = state;
    row.stats = stats;
    await this.channelsOf(state);
    this.render(row);
  }

  loadAll() {
    for (const id of this.rows.keys()) this.refresh(id);
  }

  // The channel of each interaction the agent holds (asked once per id).
  async channelsOf(state) {
    for (const o of state.offers || []) if (o.channel) this.channels.set(String(o.interaction), o.channel);
    const missing = (state.interactions || []).map(String).filter((i) => !this.channels.has(i));
    await Promise.all(missing.map(async (i) => {
      try {
        const ix = await api('GET', `/v1/interactions/${encodeURIComponent(i)}`);
        this.channels.set(i, ix.channel);
      } catch {
        /* not visible: shown without its channel */
      }
    }));
  }

  // A stream event about the agent: show the new state at once, then ask
  // the server for the whole picture.
  onEvent(msg) {
    const row = this.rows.get(msg.agent);
    if (!row) return;
    if (msg.event === 'agent.state' && row.state) {
      row.state = { ...row.state, state: msg.state, reason: msg.reason ?? null, state_since: msg.at };
      this.render(row);
    }
    this.refresh(msg.agent);
  }

  render(row) {
    const s = row.state;
    if (!s) return;
    const c = row.cells;
    const activity = row.stats && row.stats.activity;
    c.badge.textContent = stateLabel(s.state);
    c.badge.className = `badge ${s.state}`;
    c.badge.dataset.state = s.state;
    c.badge.title = activity ? `activity: ${stateLabel(activity)}` : '';
    // Ready (or not ready) while holding work: say so beside the state.
    c.activity.textContent = activity === 'busy' && s.state !== 'wrap_up' ? ' busy' : '';
    c.reason.textContent = s.reason ? this.reasonName.get(s.reason) || s.reason : '';
    const work = [];
    for (const i of s.interactions || []) {
      const ch = this.channels.get(String(i));
      work.push(h('li', {}, `#${i}`, ch ? ` ${ch}` : ''));
    }
    for (const o of s.offers || []) {
      work.push(h('li', {}, `#${o.interaction} ${o.channel || ''} `, h('span', { class: 'badge offered' }, 'offered')));
    }
    c.work.replaceChildren(work.length ? h('ul', { class: 'work' }, work) : h('span', { class: 'muted' }, s.state === 'logged_out' ? '' : 'idle'));
    const today = (row.stats && row.stats.today) || {};
    c.handled.textContent = String(today.handled ?? (row.stats ? row.stats.handled : '–'));
    const loggedOut = s.state === 'logged_out';
    row.nr.disabled = loggedOut;
    row.out.disabled = loggedOut;
    row.tr.classList.toggle('logged-out', loggedOut);
    this.tickRow(row);
  }

  tickRow(row) {
    const s = row.state;
    if (!s || !s.state_since) {
      row.cells.since.textContent = '–';
      return;
    }
    row.cells.since.textContent = duration(clock.now() - s.state_since);
  }

  tick() {
    for (const row of this.rows.values()) this.tickRow(row);
  }

  // Counts by state of the visible agents (for the summary line).
  summary() {
    const n = { ready: 0, busy: 0, not_ready: 0, logged_out: 0 };
    for (const r of this.rows.values()) {
      const a = r.stats ? r.stats.activity : r.state && r.state.state;
      if (a === 'ready') n.ready++;
      else if (a === 'busy') n.busy++;
      else if (a === 'logged_out' || !a) n.logged_out++;
      else n.not_ready++;
    }
    return n;
  }

  // ---- the confirmation dialog -----------------------------------------

  setupDialog() {
    const d = this.dialog;
    this.dlg = {
      title: d.querySelector('#agent-dialog-title'),
      text: d.querySelector('#agent-dialog-text'),
      reasonBox: d.querySelector('#agent-dialog-reason-box'),
      reason: d.querySelector('#agent-dialog-reason'),
      error: d.querySelector('#agent-dialog-error'),
      confirm: d.querySelector('#agent-dialog-confirm'),
      cancel: d.querySelector('#agent-dialog-cancel'),
      form: d.querySelector('form'),
    };
    this.dlg.reason.replaceChildren(
      h('option', { value: '' }, 'No reason'),
      ...this.reasons.map((r) => h('option', { value: r.id }, r.name || r.id)));
    this.dlg.cancel.addEventListener('click', () => d.close());
    this.dlg.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.perform();
    });
  }

  ask(action, id) {
    const row = this.rows.get(id);
    if (!row) return;
    const g = this.dlg;
    this.pending = { action, id };
    g.error.textContent = '';
    g.confirm.disabled = false;
    const now = row.state ? stateLabel(row.state.state).toLowerCase() : 'unknown';
    if (action === 'not-ready') {
      g.title.textContent = `Force ${row.name} not ready?`;
      g.text.textContent = `${row.name} is ${now}. They will get no new work until they make themselves ready again; work they hold stays with them.`;
      g.reasonBox.hidden = false;
      g.confirm.textContent = 'Force not ready';
      g.confirm.className = '';
    } else {
      const held = row.state ? (row.state.interactions || []).length : 0;
      g.title.textContent = `Log ${row.name} out?`;
      g.text.textContent = `${row.name} is ${now}${held ? ` and holds ${plural(held, 'interaction', 'interactions')}` : ''}. Logging out ends their session on the desktop; offers go back to the queue.`;
      g.reasonBox.hidden = true;
      g.confirm.textContent = 'Log out';
      g.confirm.className = 'danger';
    }
    this.dialog.showModal();
    (action === 'not-ready' ? g.reason : g.cancel).focus();
  }

  async perform() {
    const p = this.pending;
    if (!p) return;
    const g = this.dlg;
    const row = this.rows.get(p.id);
    g.error.textContent = '';
    g.confirm.disabled = true;
    try {
      const path = `/v1/agents/${encodeURIComponent(p.id)}/${p.action === 'not-ready' ? 'not-ready' : 'logout'}`;
      const body = p.action === 'not-ready' && g.reason.value ? { reason: g.reason.value } : (p.action === 'not-ready' ? {} : undefined);
      await api('POST', path, body);
      this.dialog.close();
      toast(p.action === 'not-ready' ? `${row ? row.name : p.id} is now not ready.` : `${row ? row.name : p.id} is logged out.`);
      this.refresh(p.id);
    } catch (e) {
      let text;
      if (e instanceof ApiError && e.status === 403) text = `Not allowed: ${errorText(e)}. Supervisors may act only on agents of their teams.`;
      else if (e instanceof ApiError && e.status === 409) {
        const st = e.problem && e.problem.state;
        text = `Not possible now: the agent is ${st ? stateLabel(st).toLowerCase() : 'in another state'}. (${errorText(e)})`;
      } else if (e instanceof ApiError && e.status === 404) text = 'This agent no longer exists or is no longer in your teams.';
      else text = `Failed: ${errorText(e)}`;
      g.error.textContent = text;
      toast(text, 'error');
      g.confirm.disabled = false;
      this.refresh(p.id);
    }
  }
}
