// admin/profiles.js: capacity profiles: the agent's units and, per
// channel, the cost of one interaction, the most at once, the channels it
// blocks and those that may interrupt it (docs/config.md).  A channel not
// set keeps the defaults.
import { h } from '../api.js';
import { collectionSection } from './crud.js';
import { checkboxGroup, field, numberInput, put, readNumber, uid } from './ui.js';

export const CHANNELS = ['voice', 'chat', 'email', 'message', 'callback', 'task'];
const DEFAULT_COST = { chat: 25 };
const DEFAULT_MAX = { chat: 4 };

function channelEditor(ch, conf) {
  const on = h('input', { type: 'checkbox', id: uid('on') });
  on.checked = !!conf;
  const c = conf || {};
  const cost = numberInput(c.cost, { min: '0', max: '1000000', step: '1', placeholder: String(DEFAULT_COST[ch] ?? 100) });
  const max = numberInput(c.max, { min: '0', max: '1000', step: '1', placeholder: String(DEFAULT_MAX[ch] ?? 1) });
  const others = CHANNELS.filter((o) => o !== ch);
  const blocks = checkboxGroup({ legend: `${ch} blocks`, options: others, selected: c.blocks || [], field: `channels.${ch}.blocks` });
  const interrupt = checkboxGroup({ legend: `${ch} interruptible by`, options: others, selected: c.interruptible_by || [], field: `channels.${ch}.interruptible_by` });
  const body = h('div', { class: 'channel-body' },
    h('div', { class: 'grid two' },
      field({ label: `${ch}: cost (units)`, control: cost, field: `channels.${ch}.cost` }),
      field({ label: `${ch}: most at once`, control: max, field: `channels.${ch}.max` })),
    blocks.node, interrupt.node);
  const sync = () => {
    for (const el of body.querySelectorAll('input')) el.disabled = !on.checked;
    body.classList.toggle('off', !on.checked);
  };
  on.addEventListener('change', sync);
  sync();
  const node = h('fieldset', { class: 'channel', dataset: { field: `channels.${ch}` } },
    h('legend', {}, ch),
    h('div', { class: 'check-field' }, on, h('label', { for: on.id }, `Set ${ch} (else the defaults)`)),
    body);
  return {
    node,
    value() {
      if (!on.checked) return undefined;
      const o = {};
      put(o, 'cost', readNumber(cost, `channels.${ch}.cost`, { integer: true }));
      put(o, 'max', readNumber(max, `channels.${ch}.max`, { integer: true }));
      put(o, 'blocks', blocks.value());
      put(o, 'interruptible_by', interrupt.value());
      return o;
    },
  };
}

async function profileEditor(item) {
  const p = item || {};
  const units = numberInput(p.units, { min: '0', max: '1000000', step: '1', placeholder: '100' });
  const channels = CHANNELS.map((ch) => [ch, channelEditor(ch, p.channels?.[ch])]);
  return {
    node: h('div', { class: 'profile-editor' },
      h('div', { class: 'grid' }, field({ label: 'Units of an agent', control: units, field: 'units', hint: 'Blank: 100.' })),
      h('p', { class: 'hint' }, 'Defaults: each interaction costs 100 units (chat 25), one at a time (chat 4); voice and callback block every other channel.'),
      h('div', { class: 'channels' }, channels.map(([, c]) => c.node))),
    value() {
      const o = {};
      put(o, 'units', readNumber(units, 'units', { integer: true }));
      const chans = {};
      for (const [ch, c] of channels) {
        const v = c.value();
        if (v) chans[ch] = v;
      }
      if (Object.keys(chans).length) o.channels = chans;
      return o;
    },
    focus: () => units.focus(),
  };
}

function channelsCell(p) {
  const entries = Object.entries(p.channels || {});
  if (!entries.length) return h('span', { class: 'muted' }, 'defaults');
  return h('ul', { class: 'plain' }, entries.map(([ch, c]) => h('li', {},
    h('strong', {}, ch), ` ${c.cost ?? DEFAULT_COST[ch] ?? 100} units, ${c.max ?? DEFAULT_MAX[ch] ?? 1} at once`,
    c.blocks?.length ? `; blocks ${c.blocks.join(', ')}` : '',
    c.interruptible_by?.length ? `; interruptible by ${c.interruptible_by.join(', ')}` : '')));
}

export const profiles = collectionSection({
  id: 'capacity-profiles', path: '/v1/capacity-profiles', title: 'Capacity profiles', singular: 'capacity profile',
  intro: 'How much work an agent takes at once, per channel.',
  columns: [
    { label: 'Id', cell: (o) => o.id },
    { label: 'Units', cell: (o) => o.units ?? 100 },
    { label: 'Channels', cell: channelsCell },
  ],
  advanced: ['units', 'channels'],
  editor: profileEditor,
});
