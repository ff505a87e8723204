// desktop/agentbar.js: the top bar: who, the agent's state with the time
// in it, and the buttons that change it.  Only the buttons that make sense
// in the current state are shown; the reason select goes with "Not ready".
import { api, errorText, h, logout, toast } from '../api.js';
import { STATE_NAMES, tick } from './util.js';

const $ = (id) => document.getElementById(id);

export class AgentBar {
  // desk: {agentId, reasons: [{id, name}], onChanged(stateDoc)}
  constructor(desk) {
    this.desk = desk;
    this.state = null;
    const select = $('nr-reason');
    for (const r of desk.reasons) select.append(h('option', { value: r.id }, r.name || r.id));
    $('btn-login').addEventListener('click', () => this.act('login'));
    $('btn-ready').addEventListener('click', () => this.act('ready'));
    $('btn-not-ready').addEventListener('click', () => this.act('not-ready', { reason: select.value || undefined }));
    // Changing the reason while not ready applies it at once.
    select.addEventListener('change', () => {
      if (this.state && this.state.state === 'not_ready') this.act('not-ready', { reason: select.value || undefined });
    });
    $('btn-logout-work').addEventListener('click', () => this.act('logout'));
    $('signout').addEventListener('click', () => logout());
  }

  async act(action, body) {
    const buttons = document.querySelectorAll('#state-bar button, #state-bar select');
    buttons.forEach((b) => (b.disabled = true));
    try {
      const doc = await api('POST', `/v1/agents/${encodeURIComponent(this.desk.agentId)}/${action}`, body);
      this.desk.onChanged(doc);
    } catch (e) {
      const msg =
        action === 'logout' && e.code === 'invalid_state'
          ? 'Finish your interactions (and their wrap-up) before logging out.'
          : errorText(e);
      toast(msg, 'error');
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  }

  reasonName(id) {
    const r = this.desk.reasons.find((x) => x.id === id);
    return r ? r.name || r.id : id;
  }

  // st: the agent's state document (GET /v1/agents/{id}/state) or the
  // part of it an agent.state event gives ({state, reason, state_since}).
  render(st) {
    this.state = st;
    const s = st.state;
    const badge = $('agent-state');
    let label = STATE_NAMES[s] || s;
    if (s === 'not_ready' && st.reason) label += ` — ${this.reasonName(st.reason)}`;
    if (s === 'ready' && st.busy) label += ' · working';
    badge.textContent = label;
    badge.className = `badge state-badge ${s}`;
    badge.dataset.state = s;
    const time = $('state-time');
    time.dataset.since = String(st.state_since || Date.now());
    $('btn-login').hidden = s !== 'logged_out';
    $('btn-ready').hidden = s === 'logged_out' || s === 'ready';
    $('not-ready-group').hidden = s === 'logged_out';
    $('btn-not-ready').hidden = s === 'not_ready';
    $('btn-logout-work').hidden = s === 'logged_out';
    const select = $('nr-reason');
    if (s === 'not_ready' && document.activeElement !== select) select.value = st.reason || '';
    if (s === 'wrap_up') {
      $('btn-ready').textContent = 'Ready after wrap-up';
      $('btn-not-ready').textContent = 'Not ready after wrap-up';
    } else {
      $('btn-ready').textContent = 'Ready';
      $('btn-not-ready').textContent = 'Not ready';
    }
    const empty = $('no-work');
    empty.textContent =
      s === 'logged_out'
        ? 'No interactions. Log in, then choose Ready to receive offers.'
        : s === 'ready'
          ? 'No interactions. Offers appear above as they come.'
          : 'No interactions. Choose Ready to receive offers.';
    document.title = `${label} — Switchboard`;
    tick();
  }
}
