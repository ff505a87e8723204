// wallboard.js: the supervisor's wallboard.  Queues and agents live from
// the event stream (stats:queue:ID pushes for the figures, queue:ID and
// agent:ID events to know when to ask again), a drill-down into what is
// waiting and why, and the day's volume and service level per interval.
import { api, listAll, h, toast, errorText, me, logout } from './api.js';
import { Stream } from './stream.js';
import { QueuesView } from './wallboard/queues.js';
import { AgentsView } from './wallboard/agents.js';
import { WaitingView } from './wallboard/waiting.js';
import { ChartsView } from './wallboard/charts.js';

const $ = (id) => document.getElementById(id);

function setConnection(state) {
  const el = $('conn');
  el.dataset.state = state;
  el.className = `conn ${state}`;
  el.textContent = state === 'open' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Disconnected — reconnecting';
  el.title = state === 'open' ? 'Figures and states update as they change' : 'The figures shown may be out of date';
  document.body.classList.toggle('stale', state !== 'open');
}

function fatal(text) {
  $('main').replaceChildren(h('section', { class: 'panel' }, h('h2', {}, 'The wallboard cannot be shown'), h('p', { class: 'error', role: 'alert' }, text)));
}

async function main() {
  $('logout').addEventListener('click', () => logout());
  const who = await me();
  if (!who) {
    location.href = '/index.html?next=' + encodeURIComponent('/wallboard.html');
    return;
  }
  $('who').textContent = `${who.user} (${who.role})`;
  $('nav-admin').hidden = who.role !== 'admin';
  if (who.role === 'agent') {
    fatal('The wallboard is for supervisors and administrators. Agents work on the desktop.');
    $('main').append(h('p', {}, h('a', { href: '/desktop.html' }, 'Open the desktop')));
    return;
  }

  const [queueStats, queueConfigs, agents, reasons] = await Promise.all([
    api('GET', '/v1/stats/queues'),
    listAll('/v1/queues').catch(() => []),
    listAll('/v1/agents'),
    listAll('/v1/not-ready-reasons').catch(() => []),
  ]);
  const configs = new Map(queueConfigs.map((q) => [q.id, q]));
  const queueIds = queueStats.items.map((s) => s.queue).sort();

  const waiting = new WaitingView({
    root: $('waiting-panel'), title: $('waiting-title'), list: $('waiting-list'), explain: $('explain'), hint: $('waiting-hint'),
  });
  const queues = new QueuesView({
    tbody: $('queues-body'), tfoot: $('queues-foot'), configs, onSelect: (q) => waiting.select(q),
  });
  queues.setQueues(queueIds);
  for (const s of queueStats.items) queues.update(s);
  if (!queueIds.length) $('queues-body').append(h('tr', {}, h('td', { colspan: 12, class: 'muted' }, 'You see no queues.')));

  const agentsView = new AgentsView({ tbody: $('agents-body'), dialog: $('agent-dialog'), reasons });
  agentsView.setAgents(agents.sort((a, b) => a.id.localeCompare(b.id)));
  agentsView.loadAll();

  const charts = new ChartsView({
    root: $('charts-panel'), picker: $('chart-queue'), volumeBox: $('chart-volume'), slBox: $('chart-sl'),
    status: $('chart-status'), summary: $('chart-summary'), queues: queueIds, configs,
  });
  charts.start();

  const topics = [
    ...queueIds.flatMap((q) => [`stats:queue:${q}`, `queue:${q}`]),
    ...agentsView.ids().map((a) => `agent:${a}`),
  ];
  let wasOpen = false;
  setConnection('connecting');
  new Stream({
    topics,
    onState: (s, code) => {
      if (s === 'closed' && code === 4401) {
        // The session ended (logged out elsewhere, expired): log in again.
        setConnection('closed');
        $('conn').textContent = 'Session ended';
        location.href = '/index.html?next=' + encodeURIComponent('/wallboard.html');
        return;
      }
      setConnection(s === 'open' ? 'open' : 'closed');
      if (s === 'open') {
        // Back after a break: events were resumed, but ask for the whole
        // picture again anyway (a resume gap starts from now).
        if (wasOpen) {
          agentsView.loadAll();
          waiting.onQueueChange(waiting.queue);
        }
        wasOpen = true;
      }
    },
    onStats: (m) => {
      if (m.topic && m.topic.startsWith('stats:queue:') && m.stats) {
        const prev = queues.stats(m.stats.queue);
        queues.update(m.stats);
        if (!prev || prev.waiting !== m.stats.waiting || prev.offering !== m.stats.offering) {
          waiting.onQueueChange(m.stats.queue);
        }
      }
    },
    onEvent: (m) => {
      if (m.type !== 'event') return;
      for (const a of [m.agent, m.target]) {
        if (a && agentsView.has(a)) agentsView.onEvent({ ...m, agent: a });
      }
      if (m.event === 'agent.state') waiting.onAgentChange();
      for (const q of [m.queue, m.queue2]) if (q) waiting.onQueueChange(q);
    },
  });

  setInterval(() => {
    queues.tick();
    agentsView.tick();
    queues.setAgentTotals(agentsView.summary());
    waiting.tick();
  }, 1000);
}

main().catch((e) => {
  fatal(`Loading failed: ${errorText(e)}`);
  toast(errorText(e), 'error');
});
