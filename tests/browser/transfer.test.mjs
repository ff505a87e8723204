// transfer.test.mjs: the desktop's transfer dialog offers every queue and
// the other agents by name with their presence (GET /v1/directory), and a
// transfer to an agent offers the work to that agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiAs, login, serverAndBrowser, shot } from './lib.mjs';

test('transfer to an agent chosen by name', { timeout: 60000 }, async (t) => {
  const { srv, browser } = await serverAndBrowser(t);
  const admin = await apiAs(srv, 'admin');
  const alice = await apiAs(srv, 'alice');
  const bob = await apiAs(srv, 'bob');
  for (const [who, name] of [[alice, 'alice'], [bob, 'bob']]) {
    assert.equal((await who('POST', `/v1/agents/${name}/login`)).status, 200);
  }
  assert.equal((await alice('POST', '/v1/agents/alice/ready')).status, 200);
  const ix = await admin('POST', '/v1/interactions', { queue: 'billing', channel: 'email', customer: 'kim@example.com' });
  assert.equal(ix.status, 201);
  const id = ix.body.id;
  assert.equal((await alice('POST', '/v1/agents/alice/accept', { interaction: id })).status, 200);
  assert.equal((await bob('POST', '/v1/agents/bob/ready')).status, 200);

  const page = await login(browser, srv, 'alice');
  await page.getByTestId(`transfer-${id}`).click();
  await page.getByRole('radio', { name: 'an agent' }).check();
  const options = await page.getByTestId('transfer-agent').locator('option').allInnerTexts();
  assert.ok(options.some((o) => o.startsWith('Bob Keller') && o.includes('Ready')), options.join(' | '));
  assert.ok(!options.some((o) => o.startsWith('Alice Martin')), 'not to oneself');
  const queues = await page.getByTestId('transfer-queue').locator('option').allInnerTexts();
  assert.ok(queues.some((q) => q.includes('sales')), `every queue, also one alice does not serve: ${queues}`);
  await page.getByTestId('transfer-agent').selectOption('bob');
  await shot(page, 'desktop-transfer-to-agent');
  await page.getByTestId('transfer-ok').click();
  let doc;
  for (let i = 0; i < 100; i++) {
    doc = (await admin('GET', `/v1/interactions/${id}`)).body;
    if (doc.state === 'offered' && (doc.offered_to || []).includes('bob')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual([doc.state, doc.offered_to], ['offered', ['bob']]);
});
