// wallboard.test.mjs: the supervisor's wallboard in real Chromium against
// the real server.  Live queue figures and agent states without a reload,
// the "why is it still waiting" drill-down, the supervisor's actions
// (checked on the server through the API), the charts, no console errors
// or CSP violations.  Run: node --test tests/browser/wallboard.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiAs, login, serverAndBrowser, shot } from './lib.mjs';

// Poll fn until it returns something truthy (or throw with the last value).
async function waitFor(fn, what, timeout = 10000) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Wait until the element with data-testid `id` has exactly this text.
async function waitText(page, id, text) {
  const loc = page.getByTestId(id);
  let seen;
  await waitFor(async () => (seen = (await loc.textContent({ timeout: 2000 })).trim()) === text, `${id} = "${text}"`)
    .catch((e) => { throw new Error(`${e.message}; shown: "${seen}"`); });
}

test('supervisor wallboard', { timeout: 90000 }, async (t) => {
  const { srv, browser } = await serverAndBrowser(t);
  const admin = await apiAs(srv, 'admin');
  const alice = await apiAs(srv, 'alice');
  const carol = await apiAs(srv, 'carol');

  const page = await login(browser, srv, 'sam');
  assert.match(page.url(), /\/wallboard\.html$/);

  // Console errors and CSP violations, from a fresh load of the wallboard.
  const problems = [];
  const expected = []; // URLs whose error answers the test provokes on purpose
  page.on('console', (m) => {
    const url = (m.location() && m.location().url) || '';
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) {
      if (expected.some((u) => url.includes(u))) return;
      problems.push(`${m.type()}: ${m.text()} ${url}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e}`));
  await page.reload();
  await waitFor(() => page.locator('#conn[data-state="open"]').count(), 'the stream to open');
  await waitText(page, 'q-billing-waiting', '0');
  await waitFor(async () => (await page.getByTestId('agent-alice-state').getAttribute('data-state')) === 'logged_out', 'alice shown logged out');
  assert.equal(await page.locator('#nav-admin').isVisible(), false, 'no Admin link for a supervisor');
  // A marker that a reload would wipe: every check below is live.
  await page.evaluate(() => { window.__noReload = true; });

  let ixId;
  await t.test('waiting goes up when an interaction is created', async () => {
    const r = await admin('POST', '/v1/interactions', { queue: 'billing', channel: 'chat' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    ixId = r.body.id;
    await waitText(page, 'q-billing-waiting', '1');
    await waitFor(async () => /\d+ s/.test(await page.getByTestId('q-billing-oldest').textContent()), 'oldest wait shown');
  });

  await t.test("an agent's state change appears live", async () => {
    assert.equal((await alice('POST', '/v1/agents/alice/login')).status, 200);
    await waitFor(async () => (await page.getByTestId('agent-alice-state').getAttribute('data-state')) === 'not_ready', 'alice not ready');
    assert.equal((await page.getByTestId('agent-alice-state').textContent()).trim(), 'Not ready');
  });

  await t.test('the drill-down explains why it is still waiting', async () => {
    // by keyboard: the queue name is a button
    await page.getByRole('button', { name: 'billing', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByTestId(`waiting-${ixId}`).click();
    const explain = page.getByTestId('explain-text');
    await waitFor(async () => /1 agent could take it; 0 are ready; 0 are busy up to capacity; 1 is not ready/.test(await explain.textContent()), 'the explanation');
    const text = await explain.textContent();
    assert.match(text, /Nobody who could take it is free/);
    assert.match(text, /Position 1 of 1 waiting in billing/);
    assert.match(text, /Routing step 1 of 2; step 2 applies/);
    await waitText(page, 'q-billing-not-ready', '1');
    await shot(page, 'wallboard-explain');
  });

  await t.test('waiting goes down when the agent accepts', async () => {
    assert.equal((await alice('POST', '/v1/agents/alice/ready')).status, 200);
    await waitFor(async () => (await page.getByTestId('agent-alice-state').getAttribute('data-state')) === 'ready', 'alice ready');
    const st = await waitFor(async () => {
      const s = await alice('GET', '/v1/agents/alice/state');
      return s.body.offers.length ? s.body : null;
    }, 'the offer to alice');
    assert.equal(st.offers[0].interaction, ixId);
    assert.equal((await alice('POST', '/v1/agents/alice/accept', { interaction: ixId })).status, 200);
    await waitText(page, 'q-billing-waiting', '0');
    await waitText(page, 'q-billing-answered', '1');
    await waitText(page, 'q-billing-sl', '100 %');
    await waitFor(async () => (await page.getByTestId('agent-alice-work').textContent()).includes(`#${ixId} chat`), "alice's current work");
    await waitFor(async () => /no longer waiting/.test(await page.getByTestId('explain-text').textContent()), 'the drill-down to follow');
  });

  await t.test('force not ready changes the state on the server', async () => {
    await page.getByRole('button', { name: 'Force Alice Martin not ready' }).click();
    const dialog = page.locator('#agent-dialog');
    await dialog.waitFor({ state: 'visible' });
    await dialog.getByLabel('Reason').selectOption({ label: 'Lunch' });
    await dialog.getByRole('button', { name: 'Force not ready' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await waitFor(async () => {
      const s = await admin('GET', '/v1/agents/alice/state');
      return s.body.state === 'not_ready' && s.body.reason === 'lunch';
    }, 'alice not ready (lunch) on the server');
    await waitFor(async () => (await page.getByTestId('agent-alice-state').getAttribute('data-state')) === 'not_ready', 'alice not ready on the page');
    await waitText(page, 'agent-alice-reason', 'Lunch');
  });

  await t.test('a refused action (409) is shown', async () => {
    assert.equal((await carol('POST', '/v1/agents/carol/login')).status, 200);
    await waitFor(async () => (await page.getByTestId('agent-carol-state').getAttribute('data-state')) === 'not_ready', 'carol logged in');
    await page.getByRole('button', { name: 'Force Carol Diaz not ready' }).click();
    const dialog = page.locator('#agent-dialog');
    await dialog.waitFor({ state: 'visible' });
    // Carol logs out while the supervisor is deciding.
    assert.equal((await carol('POST', '/v1/agents/carol/logout')).status, 200);
    expected.push('/v1/agents/carol/not-ready');
    await dialog.getByRole('button', { name: 'Force not ready' }).click();
    const error = dialog.getByRole('alert');
    await waitFor(async () => /Not possible now: the agent is logged out/.test(await error.textContent()), 'the 409 in the dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  await t.test('log out with confirmation', async () => {
    assert.equal((await carol('POST', '/v1/agents/carol/login')).status, 200);
    const button = page.getByRole('button', { name: 'Log Carol Diaz out' });
    await waitFor(() => button.isEnabled(), 'the log-out button');
    await button.click();
    const dialog = page.locator('#agent-dialog');
    await dialog.getByRole('button', { name: 'Log out' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await waitFor(async () => (await admin('GET', '/v1/agents/carol/state')).body.state === 'logged_out', 'carol logged out on the server');
    await waitFor(async () => (await page.getByTestId('agent-carol-state').getAttribute('data-state')) === 'logged_out', 'carol logged out on the page');
  });

  await t.test('the charts are drawn', async () => {
    for (const id of ['chart-volume', 'chart-sl']) {
      const drawn = await waitFor(() => page.evaluate((box) => {
        const c = document.querySelector(`#${box} canvas`);
        if (!c || !c.width || !c.height) return false;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]) painted++;
        return painted > 100 ? painted : false;
      }, id), `the ${id} canvas`);
      assert.ok(drawn > 100);
    }
    assert.match(await page.locator('#chart-summary').textContent(), /offered/);
  });

  await t.test('an administrator sees the Admin link', async () => {
    const adminPage = await login(browser, srv, 'admin');
    await adminPage.goto(srv.url + '/wallboard.html');
    await adminPage.locator('#nav-admin').waitFor({ state: 'visible' });
    await adminPage.context().close();
  });

  assert.equal(await page.evaluate(() => window.__noReload), true, 'the page never reloaded');
  await shot(page, 'wallboard');
  assert.deepEqual(problems, [], 'no console errors or CSP violations');
});
