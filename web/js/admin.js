// admin.js: the administration page.  A list of sections on the left, the
// open one on the right; the URL hash names it (#queues) and what is open
// in it (#queues/billing, #queues/new), so a reload stays put.  The
// sections live in js/admin/*.js.
import { h, homeOf, logout, me } from './api.js';
import { agents } from './admin/agents.js';
import { audit } from './admin/audit.js';
import { keys } from './admin/keys.js';
import { profiles } from './admin/profiles.js';
import { queues } from './admin/queues.js';
import { customFields, notReadyReasons, skills, teams, wrapupCodes } from './admin/simple.js';
import { users } from './admin/users.js';

const SECTIONS = [users, skills, teams, queues, profiles, wrapupCodes, notReadyReasons, customFields, agents, keys, audit];
const main = document.getElementById('admin-main');
const nav = document.getElementById('section-list');
let current = null; // {section, inst}

function parseHash() {
  const raw = location.hash.replace(/^#/, '');
  const [sec, ...rest] = raw.split('/');
  const section = SECTIONS.find((s) => s.id === sec) || null;
  let sub = rest.length ? rest.join('/') : null;
  try { sub = sub && decodeURIComponent(sub); } catch { sub = null; }
  return { section, sub };
}

function route({ focus = true } = {}) {
  const { section, sub } = parseHash();
  if (!section) {
    history.replaceState(null, '', `#${SECTIONS[0].id}`);
    return route({ focus: false });
  }
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.section === section.id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (current && current.section === section) {
    current.inst.route(sub);
    return undefined;
  }
  document.title = `${section.title} — Switchboard administration`;
  main.replaceChildren();
  const inst = section.mount(main, sub);
  current = { section, inst };
  if (focus && inst.focusHeading && !sub) inst.focusHeading();
  return undefined;
}

async function start() {
  let who;
  try {
    who = await me();
  } catch (e) {
    main.replaceChildren(h('p', { class: 'error', role: 'alert' }, `The server did not answer: ${e.message}`));
    return;
  }
  if (!who) {
    location.href = '/index.html?next=' + encodeURIComponent(location.pathname + location.hash);
    return;
  }
  document.getElementById('who').textContent = `${who.user} (${who.role})`;
  document.getElementById('logout').addEventListener('click', () => logout());
  if (who.role !== 'admin') {
    main.replaceChildren(h('section', { class: 'admin-section' },
      h('h2', {}, 'For administrators'),
      h('p', {}, 'This page is for administrators. ', h('a', { href: homeOf(who.role) }, 'Go to your page'), '.')));
    return;
  }
  nav.replaceChildren(...SECTIONS.map((s) => h('li', {}, h('a', { href: `#${s.id}`, dataset: { section: s.id } }, s.title))));
  window.addEventListener('hashchange', () => route());
  route({ focus: false });
}

start();
