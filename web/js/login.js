// login.js: the login form; on success, the page of the user's role (or
// the page that sent us here).
import { api, errorText, homeOf, me } from './api.js';

const form = document.getElementById('login');
const error = document.getElementById('login-error');
const next = new URLSearchParams(location.search).get('next');

async function go(role) {
  location.href = next && next.startsWith('/') && !next.startsWith('//') ? next : homeOf(role);
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  error.textContent = '';
  const button = document.getElementById('login-button');
  button.disabled = true;
  try {
    const res = await api('POST', '/v1/auth/login', {
      tenant: form.tenant.value.trim() || undefined,
      user: form.user.value.trim(),
      password: form.password.value,
    }, { noRedirect: true });
    await go(res.user.role);
  } catch (e) {
    error.textContent = e.status === 401 ? 'Wrong user or password.' : errorText(e);
    form.password.select();
  } finally {
    button.disabled = false;
  }
});

// Already logged in: straight on.
me().then((who) => who && !next && go(who.role)).catch(() => {});
