// admin/simple.js: the collections of plain objects: skills, teams,
// wrap-up codes, not-ready reasons ({id, name, description?}) and custom
// fields.
import { h } from '../api.js';
import { collectionSection } from './crud.js';
import { ClientError, field, numberInput, put, readNumber, select, textInput, uid } from './ui.js';

const text = (k) => (o) => o[k] ?? h('span', { class: 'muted' }, '–');

function namedEditor({ description = false } = {}) {
  return async (item) => {
    const name = textInput(item?.name, { maxlength: '200' });
    const desc = description ? h('textarea', { rows: '2', maxlength: '2000' }, item?.description ?? '') : null;
    return {
      node: h('div', { class: 'grid' },
        field({ label: 'Name', control: name, field: 'name', hint: 'What people see; the id is used in expressions.' }),
        desc && field({ label: 'Description', control: desc, field: 'description', wide: true })),
      value() {
        const o = {};
        put(o, 'name', name.value.trim());
        if (desc) put(o, 'description', desc.value.trim());
        return o;
      },
      focus: () => name.focus(),
    };
  };
}

function named(id, path, title, singular, intro, opts = {}) {
  const columns = [{ label: 'Id', cell: (o) => o.id }, { label: 'Name', cell: text('name') }];
  if (opts.description) columns.push({ label: 'Description', cell: text('description') });
  return collectionSection({ id, path, title, singular, intro, columns, editor: namedEditor(opts) });
}

export const skills = named('skills', '/v1/skills', 'Skills', 'skill',
  'Agents hold skills with a level; queue expressions such as agent.skills.billing >= 5 name them by id.', { description: true });
export const teams = named('teams', '/v1/teams', 'Teams', 'team', 'Agents belong to teams; supervisors oversee teams.');
export const wrapupCodes = named('wrapup-codes', '/v1/wrapup-codes', 'Wrap-up codes', 'wrap-up code',
  'The codes an agent picks when wrapping up an interaction.');
export const notReadyReasons = named('not-ready-reasons', '/v1/not-ready-reasons', 'Not-ready reasons', 'not-ready reason',
  'Why an agent is not ready (break, lunch...).');

// ---- custom fields -------------------------------------------------------

function fieldEditor(item) {
  const name = textInput(item?.name, { maxlength: '200' });
  const entity = select([['interaction', 'Interaction'], ['agent', 'Agent']], item?.entity ?? 'interaction');
  const type = select([['string', 'String'], ['number', 'Number'], ['boolean', 'Boolean'], ['enum', 'Enum (list of values)']], item?.type ?? 'string');
  const required = h('input', { type: 'checkbox' });
  required.checked = !!item?.required;
  const maxLength = numberInput(item?.max_length, { min: '1', step: '1' });
  const min = numberInput(item?.min);
  const max = numberInput(item?.max);
  const values = h('textarea', { rows: '3', spellcheck: 'false' }, (item?.values || []).join('\n'));
  const fString = field({ label: 'Longest value (characters)', control: maxLength, field: 'max_length', hint: 'Blank: no limit.' });
  const fMin = field({ label: 'Smallest value', control: min, field: 'min', hint: 'Blank: no limit.' });
  const fMax = field({ label: 'Largest value', control: max, field: 'max', hint: 'Blank: no limit.' });
  const fValues = field({ label: 'Allowed values, one per line', control: values, field: 'values' });
  const show = () => {
    fString.hidden = type.value !== 'string';
    fMin.hidden = fMax.hidden = type.value !== 'number';
    fValues.hidden = type.value !== 'enum';
  };
  type.addEventListener('change', show);
  show();
  const reqId = uid('req');
  required.id = reqId;
  required.dataset.field = 'required';
  return {
    node: h('div', { class: 'grid' },
      field({ label: 'Name', control: name, field: 'name' }),
      field({ label: 'Belongs to', control: entity, field: 'entity', hint: 'interaction.ID or agent.ID in expressions.' }),
      field({ label: 'Type', control: type, field: 'type' }),
      h('div', { class: 'field check-field' }, required, h('label', { for: reqId }, 'Required on every object')),
      fString, fMin, fMax, fValues),
    value() {
      const o = { entity: entity.value, type: type.value };
      put(o, 'name', name.value.trim());
      if (required.checked) o.required = true;
      if (type.value === 'string') put(o, 'max_length', readNumber(maxLength, 'max_length', { integer: true }));
      if (type.value === 'number') {
        put(o, 'min', readNumber(min, 'min'));
        put(o, 'max', readNumber(max, 'max'));
      }
      if (type.value === 'enum') {
        const vals = values.value.split('\n').map((s) => s.trim()).filter(Boolean);
        if (!vals.length) throw new ClientError('values', 'values: at least one allowed value');
        o.values = vals;
      }
      return o;
    },
    focus: () => name.focus(),
  };
}

function constraints(o) {
  if (o.type === 'enum') return (o.values || []).join(' | ');
  if (o.type === 'number') return [o.min !== undefined ? `≥ ${o.min}` : '', o.max !== undefined ? `≤ ${o.max}` : ''].filter(Boolean).join(', ') || '–';
  if (o.type === 'string') return o.max_length ? `at most ${o.max_length} characters` : '–';
  return '–';
}

export const customFields = collectionSection({
  id: 'custom-fields', path: '/v1/custom-fields', title: 'Custom fields', singular: 'custom field',
  intro: 'Typed attributes of interactions and agents, usable in queue expressions (interaction.language, agent.tenure_years).',
  columns: [
    { label: 'Id', cell: (o) => o.id },
    { label: 'Name', cell: text('name') },
    { label: 'Belongs to', cell: (o) => o.entity },
    { label: 'Type', cell: (o) => o.type },
    { label: 'Required', cell: (o) => (o.required ? 'yes' : 'no') },
    { label: 'Values', cell: constraints },
  ],
  editor: async (item) => fieldEditor(item),
});
