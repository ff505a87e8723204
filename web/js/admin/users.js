// admin/users.js: users and roles: the role, the agent an agent user
// works as, the teams and queues a supervisor oversees, and passwords
// (PUT /v1/users/{id}/password: every session of the user ends).
import { api, errorText, h, listAll, toast } from '../api.js';
import { collectionSection } from './crud.js';
import { checkboxGroup, ClientError, clearMarks, field, list, markField, problemNode, put, select, textInput } from './ui.js';

const ROLES = [
  ['admin', 'Admin: everything in the tenant'],
  ['supervisor', 'Supervisor: reads the configuration, oversees teams and queues'],
  ['agent', 'Agent: works as an agent'],
  ['integration', 'Integration: a program'],
];
const KNOWN = ['display_name', 'email', 'role', 'agent', 'teams', 'queues'];

function passwordInput() {
  return h('input', { type: 'password', autocomplete: 'new-password', minlength: '10', maxlength: '200' });
}

async function userEditor(item, { isNew }) {
  const [agents, teams, queues] = await Promise.all(['/v1/agents', '/v1/teams', '/v1/queues'].map((p) => listAll(p)));
  const u = item || { role: 'agent' };
  const displayName = textInput(u.display_name, { maxlength: '200' });
  const email = h('input', { type: 'email', value: u.email ?? '', autocomplete: 'off', maxlength: '320' });
  const role = select(ROLES, u.role);
  const agentOpts = [['', '— none —'], ...agents.map((a) => [a.id, a.display_name ? `${a.display_name} (${a.id})` : a.id])];
  const agent = select(agentOpts, u.agent ?? '');
  const fAgent = field({ label: 'Works as agent', control: agent, field: 'agent', hint: 'The agent whose desktop this user uses.' });
  const teamBox = checkboxGroup({ legend: 'Teams overseen', options: teams.map((t) => [t.id, t.name ? `${t.name} (${t.id})` : t.id]), selected: u.teams || [], field: 'teams' });
  const queueBox = checkboxGroup({ legend: 'Queues overseen', options: queues.map((q) => q.id), selected: u.queues || [], field: 'queues' });
  const superBox = h('div', { class: 'grid two-col' }, teamBox.node, queueBox.node);
  const show = () => {
    fAgent.hidden = role.value !== 'agent';
    superBox.hidden = role.value !== 'supervisor';
  };
  role.addEventListener('change', show);
  show();

  // password: set at once for an existing user; after creation for a new one
  const pw = passwordInput();
  const pwStatus = h('div', { class: 'form-error', role: 'alert' });
  const pwButton = h('button', { type: 'button', class: 'secondary' }, 'Set password');
  const pwBox = h('fieldset', { class: 'group' }, h('legend', {}, 'Password'),
    field({ label: isNew ? 'Initial password (optional)' : 'New password', control: pw, field: 'password',
      hint: `10 to 200 characters.${isNew ? ' Without one the user cannot log in until you set it.' : ' Setting it logs the user out everywhere.'}` }),
    isNew ? null : h('div', { class: 'actions' }, pwButton),
    pwStatus);
  pwButton.addEventListener('click', async () => {
    clearMarks(pwBox);
    pwStatus.replaceChildren();
    pwButton.disabled = true;
    try {
      await api('PUT', `/v1/users/${encodeURIComponent(item.id)}/password`, { password: pw.value });
      pw.value = '';
      pwStatus.replaceChildren(h('p', { class: 'ok' }, `Password of ${item.id} set; their sessions have ended.`));
    } catch (e) {
      pwStatus.replaceChildren(problemNode(e));
      if (e.problem?.field) markField(pwBox, e.problem.field, e.problem.detail);
    } finally {
      pwButton.disabled = false;
    }
  });
  // Enter in the password box sets the password, it does not save the user
  pw.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !isNew) { ev.preventDefault(); pwButton.click(); }
  });

  return {
    node: h('div', { class: 'user-editor' },
      h('div', { class: 'grid' },
        field({ label: 'Display name', control: displayName, field: 'display_name' }),
        field({ label: 'E-mail', control: email, field: 'email' }),
        field({ label: 'Role', control: role, field: 'role' }),
        fAgent),
      superBox,
      pwBox),
    value() {
      if (isNew && pw.value && (pw.value.length < 10 || pw.value.length > 200)) throw new ClientError('password', 'password: 10 to 200 characters');
      const o = { display_name: displayName.value.trim(), role: role.value };
      put(o, 'email', email.value.trim());
      if (role.value === 'agent') put(o, 'agent', agent.value);
      if (role.value === 'supervisor') {
        put(o, 'teams', teamBox.value());
        put(o, 'queues', queueBox.value());
      }
      return o;
    },
    initialPassword: () => (isNew ? pw.value : ''),
    focus: () => displayName.focus(),
  };
}

export const users = collectionSection({
  id: 'users', path: '/v1/users', title: 'Users and roles', singular: 'user', plural: 'users',
  intro: 'Who may log in, and with what role.',
  columns: [
    { label: 'Id', cell: (o) => o.id },
    { label: 'Display name', cell: (o) => o.display_name ?? '' },
    { label: 'Role', cell: (o) => h('span', { class: `badge role-${o.role}` }, o.role) },
    { label: 'Agent / oversees', cell: (o) => (o.role === 'supervisor'
      ? h('span', {}, 'teams: ', list(o.teams), '; queues: ', list(o.queues))
      : o.agent ?? h('span', { class: 'muted' }, '–')) },
    { label: 'E-mail', cell: (o) => o.email ?? h('span', { class: 'muted' }, '–') },
  ],
  advanced: KNOWN,
  editor: userEditor,
  async afterSave(saved, isNew, editor) {
    const pw = editor.initialPassword();
    if (!isNew || !pw) return;
    try {
      await api('PUT', `/v1/users/${encodeURIComponent(saved.id)}/password`, { password: pw });
    } catch (e) {
      toast(`User ${saved.id} created, but the password was not set: ${errorText(e)}`, 'error');
    }
  },
});
