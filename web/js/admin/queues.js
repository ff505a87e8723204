// admin/queues.js: queues.  The structured editor: the ordered steps
// (expression checked live + after_seconds; add, remove, move up/down),
// selection, offering, wrap-up, service level, limits and overflow
// (docs/config.md).  Blank numbers are left out, so the server's
// defaults apply.
import { h, listAll } from '../api.js';
import { collectionSection } from './crud.js';
import { exprField } from './expr.js';
import { field, numberInput, put, readNumber, select } from './ui.js';

const MAX_STEPS = 8;

const SELECTIONS = [
  ['longest_idle', 'Longest idle agent'],
  ['least_occupied', 'Least occupied agent'],
  ['most_skilled', 'Most skilled agent (order by)'],
  ['round_robin', 'Round robin'],
  ['random', 'Random'],
  ['broadcast', 'Broadcast to several agents'],
];
const WRAPUP_MODES = [
  ['none', 'None: the agent is free at once'],
  ['optional', 'Optional'],
  ['mandatory', 'Mandatory (until the agent ends it)'],
  ['mandatory_timeout', 'Mandatory, ended after a timeout'],
];
const KNOWN = ['steps', 'selection', 'order_by', 'broadcast_count', 'priority_aging_per_second', 'offer_timeout_seconds',
  'wrapup', 'service_level', 'max_length', 'max_wait_seconds', 'overflow', 'last_agent_seconds'];

function button(text, attrs) {
  return h('button', { type: 'button', class: 'secondary small', ...attrs }, text);
}

async function queueEditor(item) {
  const [queues, skills, fields] = await Promise.all([listAll('/v1/queues'), listAll('/v1/skills'), listAll('/v1/custom-fields')]);
  const q = item || {};
  const names = (list) => list.map((o) => o.id).join(', ') || 'none';
  const known = h('p', { class: 'hint' },
    `Skills: ${names(skills)}. Interaction fields: ${names(fields.filter((f) => f.entity === 'interaction'))}, channel, priority. ` +
    `Agent fields: ${names(fields.filter((f) => f.entity === 'agent'))}, languages, teams. ` +
    'Example: agent.skills.billing >= 5 and (interaction.language = \'en\' or agent.languages has interaction.language)');

  // ---- steps ----
  const ol = h('ol', { class: 'steps' });
  const addButton = button('Add step', { class: 'small' });
  const steps = [];

  function makeStep(s = {}) {
    const st = {};
    st.title = h('h4', {});
    st.ex = exprField({ value: s.expression ?? '', label: 'Expression', path: 'steps[0].expression' });
    st.after = numberInput(s.after_seconds ?? '', { min: '0' });
    st.keep = st.after.value;
    st.afterField = field({ label: 'Applies after (seconds in queue)', control: st.after, field: 'steps[0].after_seconds' });
    st.afterLabel = st.afterField.querySelector('label');
    st.up = button('↑ Move up', { onclick: () => move(st, -1) });
    st.down = button('↓ Move down', { onclick: () => move(st, +1) });
    st.rm = button('Remove', { class: 'secondary small danger-text', onclick: () => remove(st) });
    st.li = h('li', { class: 'step' },
      h('div', { class: 'step-head' }, st.title, h('div', { class: 'step-actions' }, st.up, st.down, st.rm)),
      h('div', { class: 'step-body' }, st.ex.node, st.afterField));
    return st;
  }

  function layout() {
    ol.replaceChildren(...steps.map((s) => s.li));
    steps.forEach((s, i) => {
      const n = i + 1;
      s.title.textContent = `Step ${n}`;
      s.ex.setLabel(`Step ${n} expression`);
      s.ex.setPath(`steps[${i}].expression`);
      s.after.dataset.field = `steps[${i}].after_seconds`;
      s.afterLabel.textContent = `Step ${n} applies after (seconds in queue)`;
      if (i === 0) {
        if (!s.after.disabled) s.keep = s.after.value;
        s.after.value = '0';
        s.after.disabled = true;
        s.after.title = 'The first step applies at once';
      } else if (s.after.disabled) {
        s.after.disabled = false;
        s.after.value = s.keep === '0' ? '' : s.keep;
        s.after.removeAttribute('title');
      }
      s.up.disabled = i === 0;
      s.down.disabled = i === steps.length - 1;
      s.rm.disabled = steps.length === 1;
      s.up.setAttribute('aria-label', `Move step ${n} up`);
      s.down.setAttribute('aria-label', `Move step ${n} down`);
      s.rm.setAttribute('aria-label', `Remove step ${n}`);
    });
    addButton.disabled = steps.length >= MAX_STEPS;
    count.textContent = `${steps.length} of at most ${MAX_STEPS} steps.`;
  }

  function move(st, delta) {
    const i = steps.indexOf(st);
    const j = i + delta;
    if (j < 0 || j >= steps.length) return;
    [steps[i], steps[j]] = [steps[j], steps[i]];
    layout();
    const again = delta < 0 ? st.up : st.down;
    (again.disabled ? (delta < 0 ? st.down : st.up) : again).focus();
    announce(`Step moved to position ${j + 1}.`);
  }

  function remove(st) {
    const i = steps.indexOf(st);
    if (steps.length === 1) return;
    steps.splice(i, 1);
    layout();
    const next = steps[Math.min(i, steps.length - 1)];
    next.ex.input.focus();
    announce(`Step ${i + 1} removed.`);
  }

  addButton.addEventListener('click', () => {
    if (steps.length >= MAX_STEPS) return;
    const st = makeStep();
    steps.push(st);
    layout();
    st.ex.input.focus();
  });

  const count = h('p', { class: 'hint' });
  const live = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const announce = (t) => { live.textContent = t; };
  for (const s of q.steps && q.steps.length ? q.steps : [{}]) steps.push(makeStep(s));
  layout();

  const stepsBox = h('fieldset', { class: 'group steps-box', dataset: { field: 'steps' } },
    h('legend', {}, 'Steps'),
    h('p', { class: 'hint' }, 'Bullseye steps, in order: an interaction that has waited long enough for step k may go to agents matching any step up to k. An empty expression matches every member of the queue.'),
    known, ol, h('div', { class: 'actions' }, addButton, count), live);

  // ---- offering ----
  const selection = select(SELECTIONS, q.selection ?? 'longest_idle');
  const orderBy = exprField({ value: q.order_by ?? '', label: 'Order by (agent path)', path: 'order_by', rows: 1,
    hint: 'For most skilled: the agent value ranked, e.g. agent.skills.billing.', emptyText: 'Required with most skilled.' });
  const broadcast = numberInput(q.broadcast_count, { min: '1', max: '1000', step: '1', placeholder: '3' });
  const fBroadcast = field({ label: 'Agents offered at once', control: broadcast, field: 'broadcast_count', hint: 'Blank: 3.' });
  const showSel = () => {
    orderBy.node.hidden = selection.value !== 'most_skilled';
    fBroadcast.hidden = selection.value !== 'broadcast';
  };
  selection.addEventListener('change', showSel);
  showSel();
  const offerTimeout = numberInput(q.offer_timeout_seconds, { min: '0', placeholder: '20' });
  const aging = numberInput(q.priority_aging_per_second, { min: '0', max: '100', placeholder: '0' });
  const lastAgent = numberInput(q.last_agent_seconds, { min: '0', placeholder: '0' });

  // ---- wrap-up ----
  const wrapMode = select(WRAPUP_MODES, q.wrapup?.mode ?? 'none');
  const wrapTimeout = numberInput(q.wrapup?.timeout_seconds, { min: '0' });
  const fWrapTimeout = field({ label: 'Wrap-up timeout (seconds)', control: wrapTimeout, field: 'wrapup.timeout_seconds', hint: 'Required with "Mandatory, ended after a timeout".' });
  const showWrap = () => { fWrapTimeout.hidden = wrapMode.value !== 'mandatory_timeout'; };
  wrapMode.addEventListener('change', showWrap);
  showWrap();

  // ---- service level ----
  const slThreshold = numberInput(q.service_level?.threshold_seconds, { min: '0', placeholder: '20' });
  const target = q.service_level?.target;
  const slTarget = numberInput(target === undefined ? '' : +(target * 100).toFixed(4), { min: '0', max: '100', placeholder: '80' });

  // ---- limits and overflow ----
  const maxLength = numberInput(q.max_length, { min: '0', step: '1', placeholder: 'unlimited' });
  const maxWait = numberInput(q.max_wait_seconds, { min: '0', placeholder: 'unlimited' });
  const others = [['', '— none —'], ...queues.filter((o) => o.id !== q.id).map((o) => [o.id, o.id])];
  const ov = q.overflow || {};
  const ovFull = select(others, ov.when_full ?? '');
  const ovWait = select(others, ov.at_max_wait ?? '');
  const ovClosed = select(others, ov.when_closed ?? '');
  for (const [sel, v] of [[ovFull, ov.when_full], [ovWait, ov.at_max_wait], [ovClosed, ov.when_closed]]) {
    if (v && ![...sel.options].some((o) => o.value === v)) sel.append(h('option', { value: v, selected: true }, `${v} (unknown)`));
  }

  const node = h('div', { class: 'queue-editor' },
    stepsBox,
    h('fieldset', { class: 'group grid' }, h('legend', {}, 'Offering'),
      field({ label: 'Agent selection', control: selection, field: 'selection' }),
      fBroadcast,
      field({ label: 'Offer timeout (seconds)', control: offerTimeout, field: 'offer_timeout_seconds', hint: 'How long an offer is held. Blank: 20.' }),
      field({ label: 'Priority aging (points per second)', control: aging, field: 'priority_aging_per_second', hint: '0 to 100. Blank: 0.' }),
      field({ label: 'Wait for the last agent (seconds)', control: lastAgent, field: 'last_agent_seconds', hint: 'The customer\'s previous agent first. Blank: off.' }),
      orderBy.node),
    h('fieldset', { class: 'group grid' }, h('legend', {}, 'Wrap-up'),
      field({ label: 'Wrap-up mode', control: wrapMode, field: 'wrapup.mode' }),
      fWrapTimeout),
    h('fieldset', { class: 'group grid' }, h('legend', {}, 'Service level'),
      field({ label: 'Threshold (seconds)', control: slThreshold, field: 'service_level.threshold_seconds', hint: 'Answered within this counts as in service level. Blank: 20.' }),
      field({ label: 'Target (% answered within the threshold)', control: slTarget, field: 'service_level.target', hint: 'Blank: 80 %.' })),
    h('fieldset', { class: 'group grid' }, h('legend', {}, 'Limits and overflow'),
      field({ label: 'Most waiting (max length)', control: maxLength, field: 'max_length', hint: 'Blank or 0: unlimited.' }),
      field({ label: 'Overflow when full', control: ovFull, field: 'overflow.when_full', hint: 'None: arrivals are refused (queue_full).' }),
      field({ label: 'Longest wait (seconds)', control: maxWait, field: 'max_wait_seconds', hint: 'Blank or 0: unlimited.' }),
      field({ label: 'Overflow at the longest wait', control: ovWait, field: 'overflow.at_max_wait', hint: 'None: the interaction ends.' }),
      field({ label: 'Overflow while closed', control: ovClosed, field: 'overflow.when_closed', hint: 'None: arrivals are refused (queue_closed).' })));

  return {
    node,
    focus: () => steps[0].ex.input.focus(),
    value() {
      const o = {};
      o.steps = steps.map((s, i) => {
        const step = {};
        put(step, 'expression', s.ex.value());
        if (i > 0) put(step, 'after_seconds', readNumber(s.after, `steps[${i}].after_seconds`));
        return step;
      });
      if (selection.value !== 'longest_idle' || q.selection !== undefined) o.selection = selection.value;
      if (selection.value === 'most_skilled') put(o, 'order_by', orderBy.value());
      if (selection.value === 'broadcast') put(o, 'broadcast_count', readNumber(broadcast, 'broadcast_count', { integer: true }));
      put(o, 'offer_timeout_seconds', readNumber(offerTimeout, 'offer_timeout_seconds'));
      put(o, 'priority_aging_per_second', readNumber(aging, 'priority_aging_per_second'));
      put(o, 'last_agent_seconds', readNumber(lastAgent, 'last_agent_seconds'));
      if (wrapMode.value !== 'none') {
        o.wrapup = { mode: wrapMode.value };
        if (wrapMode.value === 'mandatory_timeout') put(o.wrapup, 'timeout_seconds', readNumber(wrapTimeout, 'wrapup.timeout_seconds'));
      }
      const sl = {};
      put(sl, 'threshold_seconds', readNumber(slThreshold, 'service_level.threshold_seconds'));
      const pct = readNumber(slTarget, 'service_level.target');
      if (pct !== undefined) sl.target = Math.round(pct * 100) / 10000;
      if (Object.keys(sl).length) o.service_level = sl;
      put(o, 'max_length', readNumber(maxLength, 'max_length', { integer: true }));
      put(o, 'max_wait_seconds', readNumber(maxWait, 'max_wait_seconds'));
      const overflow = {};
      put(overflow, 'when_full', ovFull.value);
      put(overflow, 'at_max_wait', ovWait.value);
      put(overflow, 'when_closed', ovClosed.value);
      if (Object.keys(overflow).length) o.overflow = overflow;
      return o;
    },
    // A save's invalid_expression goes to its step (text marked, caret).
    showProblem(p) {
      const m = /^steps\[(\d+)\]\.expression$/.exec(p.field || '');
      const target = m ? steps[Number(m[1])]?.ex : p.field === 'order_by' ? orderBy : null;
      if (!target || p.code !== 'invalid_expression') return false;
      target.showProblem(p);
      target.input.focus();
      return true;
    },
  };
}

function stepsCell(q) {
  return h('ol', { class: 'compact-steps' }, (q.steps || []).map((s) =>
    h('li', {}, h('span', { class: 'muted' }, `${s.after_seconds || 0} s: `), h('code', {}, s.expression || '(every member)'))));
}

function slCell(q) {
  const sl = q.service_level || {};
  return `${Math.round((sl.target ?? 0.8) * 100)} % in ${sl.threshold_seconds ?? 20} s`;
}

function limitsCell(q) {
  const parts = [];
  if (q.max_length) parts.push(`max ${q.max_length} waiting`);
  if (q.max_wait_seconds) parts.push(`max wait ${q.max_wait_seconds} s`);
  for (const [k, label] of [['when_full', 'full'], ['at_max_wait', 'max wait'], ['when_closed', 'closed']]) {
    if (q.overflow?.[k]) parts.push(`${label} → ${q.overflow[k]}`);
  }
  return parts.length ? parts.join('; ') : h('span', { class: 'muted' }, 'unlimited');
}

export const queues = collectionSection({
  id: 'queues', path: '/v1/queues', title: 'Queues', singular: 'queue',
  intro: 'Where interactions wait; steps decide which agents may take them as the wait grows.',
  columns: [
    { label: 'Id', cell: (o) => o.id },
    { label: 'Steps', cell: stepsCell },
    { label: 'Selection', cell: (o) => o.selection || 'longest_idle' },
    { label: 'Wrap-up', cell: (o) => (o.wrapup ? `${o.wrapup.mode}${o.wrapup.timeout_seconds ? ` (${o.wrapup.timeout_seconds} s)` : ''}` : 'none') },
    { label: 'Service level', cell: slCell },
    { label: 'Limits', cell: limitsCell },
  ],
  advanced: KNOWN,
  editor: queueEditor,
});
