// desktop.js: the agent desktop.  The server is the truth: the page asks
// it for the agent's state, offers and interactions, and the event stream
// (agent:ID and interaction:ID of each open one) says when to ask again;
// chat messages and typing come straight from the stream.  After a drop
// or a server restart the stream resumes and the page reloads everything,
// so nothing shown is lost or stale.  Parts: desktop/*.js.
import { api, errorText, h, homeOf, listAll, me, toast } from './api.js';
import { AgentBar } from './desktop/agentbar.js';
import { IxView } from './desktop/ixview.js';
import { DeskStream } from './desktop/live.js';
import { Offers } from './desktop/offers.js';
import { STATE_NAMES, customerOf, debounce, measureSkew } from './desktop/util.js';

const $ = (id) => document.getElementById(id);

const desk = {
  agentId: null,
  codes: [],
  reasons: [],
  queues: new Map(),
  units: 100, // the agent's capacity (its profile's units)
  views: new Map(), // id -> IxView (open ones and read-only ones)
  selected: null,
  dirty: new Set(), // interactions to read again at the next refresh
  full: false, // next refresh: messages, notes... too
  stream: null,
  bar: null,
  offers: null,
};

function announce(text) {
  const box = $('announce');
  box.textContent = '';
  setTimeout(() => (box.textContent = text), 50);
}

// ---- the work area ------------------------------------------------------------

function isSelected(view) {
  return desk.selected === view.id;
}

function select(id, { focus = false } = {}) {
  const view = desk.views.get(id);
  if (!view) return;
  desk.selected = id;
  for (const v of desk.views.values()) {
    const on = v === view;
    v.tab.setAttribute('aria-selected', on ? 'true' : 'false');
    v.tab.tabIndex = on ? 0 : -1;
    v.el.hidden = !on;
  }
  $('placeholder').hidden = true;
  view.clearUnread();
  if (location.hash !== `#ix=${id}`) history.replaceState(null, '', `#ix=${id}`);
  if (focus) {
    if (view.chat && view.chat.input && !view.chat.input.disabled) view.chat.focus();
    else view.tab.focus();
  }
}

function addView(view) {
  desk.views.set(view.id, view);
  $('tabs').append(view.tab);
  $('panels').append(view.el);
  $('no-work').hidden = true;
}

function removeView(view) {
  view.destroy();
  desk.views.delete(view.id);
  if (desk.selected === view.id) {
    desk.selected = null;
    const next = [...desk.views.values()].find((v) => !v.readOnly) || desk.views.values().next().value;
    if (next) select(next.id);
    else {
      $('placeholder').hidden = false;
      history.replaceState(null, '', location.pathname);
    }
  }
  $('no-work').hidden = desk.views.size > 0;
}

// Tell the agent why an interaction left the work area (from the last
// event about it: once it is gone, the agent may no longer read it).
function farewell(view) {
  const name = view.ix ? customerOf(view.ix).name : `#${view.id}`;
  const ev = view.outcome || {};
  if (view.quiet) return; // the agent did it and was told
  if (ev.event === 'interaction.transferred') {
    toast(`${name}: transferred${ev.target_agent ? ` to ${ev.target_agent}` : ev.queue ? ` to the ${ev.queue} queue` : ''}.`);
  } else if (ev.event === 'interaction.completed') {
    toast(`${name}: completed${ev.wrapup_code ? ` (${ev.wrapup_code})` : ''}.`);
  } else {
    toast(`${name}: no longer on your desk.`);
  }
}

// An interaction opened by its address (#ix=ID) that is not an open one.
async function openByAddress(id) {
  if (desk.views.has(id)) {
    select(id);
    return;
  }
  const view = new IxView(desk, id, { readOnly: true });
  try {
    await view.load();
  } catch (e) {
    for (const v of desk.views.values()) v.el.hidden = true;
    const p = $('placeholder');
    p.hidden = false;
    p.replaceChildren(
      h(
        'p',
        { class: 'not-found', 'data-testid': 'ix-not-found', role: 'alert' },
        e.status === 404 ? `Interaction ${id} was not found, or it is not one of yours.` : `Interaction ${id}: ${errorText(e)}`,
      ),
    );
    desk.selected = null;
    return;
  }
  addView(view);
  select(id);
}

function fromHash() {
  const m = /^#ix=([0-9]{1,20})$/.exec(location.hash);
  if (m) openByAddress(m[1]);
}

// ---- the state, again from the server --------------------------------------------

async function offerDetails(o) {
  const known = desk.offers.cards.get(o.interaction);
  if (known && known.offer.ix) return { ...o, ix: known.offer.ix };
  try {
    return { ...o, ix: await api('GET', `/v1/interactions/${o.interaction}`) };
  } catch {
    return o;
  }
}

async function refreshNow() {
  const full = desk.full;
  const dirty = new Set(desk.dirty);
  desk.full = false;
  desk.dirty.clear();
  let st;
  try {
    st = await api('GET', `/v1/agents/${encodeURIComponent(desk.agentId)}/state`);
  } catch (e) {
    if (e.status !== 401) {
      desk.full = desk.full || full;
      dirty.forEach((d) => desk.dirty.add(d));
    }
    return; // the stream's reconnect brings another refresh
  }
  desk.bar.render(st);
  $('capacity').textContent = st.units_used ? `(${Math.round((100 * st.units_used) / desk.units)}% of capacity)` : '';
  desk.offers.render(await Promise.all((st.offers || []).map(offerDetails)));
  const open = new Set(st.interactions || []);
  const jobs = [];
  for (const id of open) {
    const view = desk.views.get(id);
    if (!view) {
      const v = new IxView(desk, id);
      addView(v);
      jobs.push(v.load().catch((e) => toast(`Interaction ${id}: ${errorText(e)}`, 'error')));
    } else if (view.readOnly) {
      // opened by address before it became ours: make it a working view
      removeView(view);
      const v = new IxView(desk, id);
      addView(v);
      jobs.push(v.load().then(() => desk.selected || select(id)));
    } else if (full) {
      jobs.push(view.load().catch(() => {}));
    } else if (dirty.has(id)) {
      jobs.push(view.reload().catch(() => {}));
    }
  }
  for (const view of [...desk.views.values()]) {
    if (view.readOnly) {
      if (dirty.has(view.id) || full) jobs.push(view.reload().catch(() => {}));
      continue;
    }
    if (!open.has(view.id)) {
      farewell(view);
      removeView(view);
    }
  }
  await Promise.all(jobs);
  if (!desk.selected && desk.views.size) select(desk.views.keys().next().value);
  const topics = [`agent:${desk.agentId}`, ...[...open].map((id) => `interaction:${id}`)];
  desk.stream.setTopics(topics);
}

// One refresh at a time, in order: an older answer never undoes a newer one.
let chain = Promise.resolve();
function refreshSerial() {
  chain = chain.then(refreshNow, refreshNow);
  return chain;
}

const refresh = debounce(refreshSerial, 60);
desk.refresh = refresh;

// ---- the stream --------------------------------------------------------------------

function onEvent(msg) {
  if (msg.type === 'typing') {
    const view = desk.views.get(msg.interaction);
    if (view && view.chat && msg.from !== 'agent') view.chat.setTheirTyping(!!msg.typing);
    return;
  }
  const view = msg.interaction ? desk.views.get(msg.interaction) : null;
  if (view && (msg.event === 'interaction.transferred' || msg.event === 'interaction.completed')) view.outcome = msg;
  if (msg.event === 'chat.message') {
    if (view && view.chat) {
      view.chat.add(msg.message);
      return;
    }
  }
  if (msg.interaction) desk.dirty.add(msg.interaction);
  if (msg.event === 'agent.state' && desk.bar.state) {
    const was = desk.bar.state.state;
    desk.bar.render({ ...desk.bar.state, state: msg.state, reason: msg.reason, state_since: msg.at });
    if (msg.state === 'not_responding' && was !== 'not_responding') {
      toast('An offer was not answered in time: you get no more offers until you choose Ready.', 'error');
    } else if (msg.state === 'logged_out' && was !== 'logged_out') {
      toast('You have been logged out of work (no more offers).');
    }
  }
  if (msg.event === 'interaction.wrap_up' && view && view.ix && view.ix.state === 'connected' && view.chat) {
    announce(`${customerOf(view.ix).name}: the chat has ended; wrap-up.`);
  }
  refresh();
}

// 'open' comes after every subscribe (a change of topics too); only the
// first and those after a drop reload everything.
let wasDown = true;
function onState(state, code) {
  if (state === 'open') {
    $('banner').hidden = true;
    document.body.classList.remove('offline');
    if (!wasDown) return;
    wasDown = false;
    desk.full = true;
    measureSkew();
    refresh();
  } else {
    wasDown = true;
    $('banner').hidden = false;
    document.body.classList.add('offline');
    if (code === 4401) refresh(); // the session ended: api() sends us to the login page
  }
}

// ---- transfer ------------------------------------------------------------------------

function setupTransfer() {
  const dialog = $('transfer-dialog');
  const form = $('transfer-form');
  const queueSel = $('transfer-queue');
  const agentIn = $('transfer-agent');
  const err = $('transfer-error');
  let view = null;
  const kind = () => form.querySelector('input[name="kind"]:checked').value;
  const show = () => {
    $('transfer-queue-row').hidden = kind() !== 'queue';
    $('transfer-agent-row').hidden = kind() !== 'agent';
  };
  form.querySelectorAll('input[name="kind"]').forEach((r) => r.addEventListener('change', show));
  // Whom to: every queue and the other agents, with their presence
  // (GET /v1/directory), read each time the dialog opens.
  desk.transfer = async (v) => {
    view = v;
    err.textContent = '';
    let dir = { queues: [...desk.queues.keys()].map((id) => ({ id, name: id })), agents: [] };
    try {
      dir = await api('GET', '/v1/directory');
    } catch (e) {
      err.textContent = `The list of agents is not available: ${errorText(e)}`;
    }
    queueSel.replaceChildren(...dir.queues.map((q) =>
      h('option', { value: q.id, selected: q.id === v.ix.queue ? true : undefined }, q.name === q.id ? q.id : `${q.name} (${q.id})`)));
    const others = dir.agents.filter((a) => a.id !== desk.agentId);
    agentIn.replaceChildren(h('option', { value: '' }, others.length ? 'Choose an agent…' : 'No other agent'),
      ...others.map((a) => h('option', { value: a.id }, `${a.name} — ${STATE_NAMES[a.state] || a.state}`)));
    show();
    dialog.showModal();
    (kind() === 'queue' ? queueSel : agentIn).focus();
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (e.submitter && e.submitter.value === 'cancel') {
      dialog.close();
      return;
    }
    const body = kind() === 'queue' ? { queue: queueSel.value } : { agent: agentIn.value };
    if (!body.queue && !body.agent) {
      err.textContent = kind() === 'queue' ? 'Choose a queue.' : 'Choose an agent.';
      return;
    }
    const ok = $('transfer-ok');
    ok.disabled = true;
    try {
      await api('POST', `/v1/interactions/${view.id}/transfer`, body);
      view.quiet = true;
      dialog.close();
      toast(`Transferred to ${body.queue ? `the ${body.queue} queue` : body.agent}.`);
      refresh();
    } catch (e2) {
      err.textContent = e2.field === 'agent' || (e2.problem && e2.problem.field === 'agent') ? `No agent "${body.agent}".` : errorText(e2);
    } finally {
      ok.disabled = false;
    }
  });
}

// ---- keyboard: arrows move between tabs ------------------------------------------

function setupTabsKeys() {
  $('tabs').addEventListener('keydown', (e) => {
    const ids = [...desk.views.keys()];
    const i = ids.indexOf(desk.selected);
    let j = -1;
    if (e.key === 'ArrowDown' || e.key === 'ArrowRight') j = (i + 1) % ids.length;
    else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') j = (i - 1 + ids.length) % ids.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = ids.length - 1;
    if (j < 0 || !ids.length) return;
    e.preventDefault();
    select(ids[j]);
    desk.views.get(ids[j]).tab.focus();
  });
}

// ---- start ----------------------------------------------------------------------------

async function start() {
  const who = await me();
  if (!who) {
    location.href = '/index.html?next=' + encodeURIComponent('/desktop.html' + location.hash);
    return;
  }
  if (who.role !== 'agent' || !who.agent) {
    $('work').replaceChildren(
      h('p', { class: 'panel' }, 'This page is for agents. ', h('a', { href: homeOf(who.role) }, 'Go to your page'), '.'),
    );
    $('state-bar').hidden = true;
    $('signout').addEventListener('click', () => import('./api.js').then((m) => m.logout()));
    return;
  }
  desk.agentId = who.agent;
  $('who').textContent = who.user;
  await measureSkew();
  const [agent, codes, reasons, queues, profiles] = await Promise.all([
    api('GET', `/v1/agents/${encodeURIComponent(who.agent)}`).catch(() => null),
    listAll('/v1/wrapup-codes').catch(() => []),
    listAll('/v1/not-ready-reasons').catch(() => []),
    listAll('/v1/queues').catch(() => []),
    listAll('/v1/capacity-profiles').catch(() => []),
  ]);
  if (agent && agent.display_name) $('who').textContent = agent.display_name;
  const profile = agent && profiles.find((p) => p.id === agent.capacity_profile);
  desk.units = (profile && profile.units) || 100;
  desk.codes = codes;
  desk.reasons = reasons;
  for (const q of queues) desk.queues.set(q.id, q);
  desk.select = (id) => select(id, { focus: false });
  desk.isSelected = isSelected;
  desk.close = (view) => removeView(view);
  desk.announce = announce;
  desk.bar = new AgentBar({ agentId: desk.agentId, reasons, onChanged: (st) => { desk.bar.render(st); refresh(); } });
  desk.offers = new Offers({
    agentId: desk.agentId,
    announce,
    refresh,
    onAccepted: async (id) => {
      await refreshSerial();
      select(id, { focus: true });
    },
  });
  setupTransfer();
  setupTabsKeys();
  desk.stream = new DeskStream({ topics: [`agent:${desk.agentId}`], onEvent, onState });
  desk.stream.onGone = () => {
    desk.full = true;
    refresh();
  };
  desk.stream.onGap = () => {
    desk.full = true;
    refresh();
  };
  await refreshSerial();
  fromHash();
  window.addEventListener('hashchange', fromHash);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && desk.selected) {
      const v = desk.views.get(desk.selected);
      if (v) v.clearUnread();
    }
  });
}

start().catch((e) => toast(`The desktop could not start: ${errorText(e)}`, 'error'));
