// admin/agents.js: agents: name, skill levels, languages, teams, the
// queues served, the capacity profile and the typed attributes (agent
// custom fields).
import { h, listAll } from '../api.js';
import { collectionSection } from './crud.js';
import { checkboxGroup, ClientError, field, list, numberInput, put, readNumber, select, textInput, uid } from './ui.js';

const KNOWN = ['display_name', 'skills', 'languages', 'teams', 'queues', 'capacity_profile', 'attributes'];

function attrControl(def, value) {
  const path = `attributes.${def.id}`;
  const label = def.name ? `${def.name} (${def.id})` : def.id;
  let control;
  let read;
  if (def.type === 'number') {
    control = numberInput(value, { min: def.min, max: def.max });
    read = () => readNumber(control, path);
  } else if (def.type === 'boolean') {
    control = select([['', '— not set —'], ['true', 'yes'], ['false', 'no']], value === undefined ? '' : String(value));
    read = () => (control.value === '' ? undefined : control.value === 'true');
  } else if (def.type === 'enum') {
    const vals = def.values || [];
    const opts = [['', '— not set —'], ...vals.map((v) => [v, v])];
    if (value !== undefined && !vals.includes(value)) opts.push([String(value), `${value} (not allowed)`]);
    control = select(opts, value === undefined ? '' : String(value));
    read = () => control.value || undefined;
  } else {
    control = textInput(value, def.max_length ? { maxlength: String(def.max_length) } : {});
    read = () => (control.value === '' ? undefined : control.value);
  }
  const hint = [def.required ? 'Required.' : '', def.type === 'number' && (def.min !== undefined || def.max !== undefined)
    ? `From ${def.min ?? '−∞'} to ${def.max ?? '∞'}.` : ''].filter(Boolean).join(' ');
  return { node: field({ label, control, field: path, hint: hint || undefined }), read, id: def.id };
}

async function agentEditor(item) {
  const [skills, teams, queues, profiles, fields] = await Promise.all(
    ['/v1/skills', '/v1/teams', '/v1/queues', '/v1/capacity-profiles', '/v1/custom-fields'].map((p) => listAll(p)));
  const a = item || {};
  const displayName = textInput(a.display_name, { maxlength: '200' });
  const languages = textInput((a.languages || []).join(', '));

  // skills: one level input per skill of the tenant (blank: not held)
  const skillInputs = [];
  const skillRows = skills.map((s) => {
    const input = numberInput(a.skills?.[s.id], { min: '0', max: '1000000', step: '1', id: uid('sk') });
    input.dataset.field = `skills.${s.id}`;
    skillInputs.push([s.id, input]);
    return h('tr', {}, h('th', { scope: 'row' }, h('label', { for: input.id }, s.name ? `${s.name} (${s.id})` : s.id)), h('td', {}, input));
  });
  for (const [id, level] of Object.entries(a.skills || {})) {
    if (skills.some((s) => s.id === id)) continue;
    const input = numberInput(level, { id: uid('sk') });
    input.dataset.field = `skills.${id}`;
    skillInputs.push([id, input]);
    skillRows.push(h('tr', {}, h('th', { scope: 'row' }, h('label', { for: input.id }, `${id} (unknown skill)`)), h('td', {}, input)));
  }
  const skillErr = h('p', { class: 'field-error', hidden: true });
  const skillsBox = h('fieldset', { class: 'group skills-box', dataset: { field: 'skills' } },
    h('legend', {}, 'Skills'),
    h('p', { class: 'hint' }, 'A level (whole number) for each skill the agent holds; blank: not held.'),
    skills.length ? h('table', { class: 'levels' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Skill'), h('th', { scope: 'col' }, 'Level'))), h('tbody', {}, skillRows))
      : h('p', { class: 'muted' }, 'No skills defined yet.'),
    skillErr);
  skillsBox._fieldError = skillErr;

  const teamBox = checkboxGroup({ legend: 'Teams', options: teams.map((t) => [t.id, t.name ? `${t.name} (${t.id})` : t.id]), selected: a.teams || [], field: 'teams' });
  const queueBox = checkboxGroup({ legend: 'Queues served', options: queues.map((q) => q.id), selected: a.queues || [], field: 'queues' });
  const profileOpts = [['', '— defaults —'], ...profiles.map((p) => [p.id, p.id])];
  if (a.capacity_profile && !profiles.some((p) => p.id === a.capacity_profile)) profileOpts.push([a.capacity_profile, `${a.capacity_profile} (unknown)`]);
  const profile = select(profileOpts, a.capacity_profile ?? '');

  const attrDefs = fields.filter((f) => f.entity === 'agent');
  const attrs = attrDefs.map((d) => attrControl(d, a.attributes?.[d.id]));
  const attrBox = h('fieldset', { class: 'group grid', dataset: { field: 'attributes' } }, h('legend', {}, 'Attributes'),
    attrs.length ? attrs.map((x) => x.node) : h('p', { class: 'muted' }, 'No agent custom fields defined (see Custom fields).'));
  const extraAttrs = Object.fromEntries(Object.entries(a.attributes || {}).filter(([k]) => !attrDefs.some((d) => d.id === k)));

  return {
    node: h('div', { class: 'agent-editor' },
      h('div', { class: 'grid' },
        field({ label: 'Display name', control: displayName, field: 'display_name' }),
        field({ label: 'Languages', control: languages, field: 'languages', hint: 'Comma separated, e.g. en, de (agent.languages in expressions).' }),
        field({ label: 'Capacity profile', control: profile, field: 'capacity_profile' })),
      h('div', { class: 'grid two-col' }, skillsBox, h('div', {}, teamBox.node, queueBox.node)),
      attrBox),
    value() {
      const o = {};
      put(o, 'display_name', displayName.value.trim());
      const sk = {};
      for (const [id, input] of skillInputs) {
        const v = readNumber(input, `skills.${id}`, { integer: true });
        if (v !== undefined) sk[id] = v;
      }
      if (Object.keys(sk).length) o.skills = sk;
      const langs = languages.value.split(',').map((s) => s.trim()).filter(Boolean);
      if (langs.some((l) => /\s/.test(l))) throw new ClientError('languages', 'languages: separate them with commas');
      put(o, 'languages', langs);
      put(o, 'teams', teamBox.value());
      put(o, 'queues', queueBox.value());
      put(o, 'capacity_profile', profile.value);
      const at = { ...extraAttrs };
      for (const x of attrs) {
        const v = x.read();
        if (v !== undefined) at[x.id] = v;
      }
      if (Object.keys(at).length) o.attributes = at;
      return o;
    },
    focus: () => displayName.focus(),
  };
}

export const agents = collectionSection({
  id: 'agents', path: '/v1/agents', title: 'Agents', singular: 'agent',
  intro: 'Who takes interactions. A user with the agent role works as one of them (see Users and roles).',
  columns: [
    { label: 'Id', cell: (o) => o.id },
    { label: 'Name', cell: (o) => o.display_name ?? h('span', { class: 'muted' }, '–') },
    { label: 'Skills', cell: (o) => list(Object.entries(o.skills || {}).map(([k, v]) => `${k} ${v}`)) },
    { label: 'Languages', cell: (o) => list(o.languages) },
    { label: 'Teams', cell: (o) => list(o.teams) },
    { label: 'Queues', cell: (o) => list(o.queues) },
    { label: 'Profile', cell: (o) => o.capacity_profile ?? h('span', { class: 'muted' }, 'defaults') },
  ],
  advanced: KNOWN,
  editor: agentEditor,
});
