// escaping.test.mjs: what customers type is shown as text, never run.
// A customer's name and messages full of markup go through the chat API;
// the agent's desktop, the wallboard's drill-down and the widget show them
// literally and no script of theirs runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiAs, login, serverAndBrowser, shot } from './lib.mjs';

const NAME = '<img src=x onerror="window.__pwned=1">Eve';
const TEXT = '<script>window.__pwned=2</script><b>bold?</b> & "quotes"';

test('markup from customers is shown as text', { timeout: 60000 }, async (t) => {
  const { srv, browser } = await serverAndBrowser(t);
  const res = await fetch(`${srv.url}/v1/chat/sessions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ queue: 'billing', name: NAME, email: 'eve@example.com', text: TEXT }),
  });
  assert.equal(res.status, 201);
  const { conversation } = await res.json();
  const id = conversation.interaction;

  const alice = await apiAs(srv, 'alice');
  assert.equal((await alice('POST', '/v1/agents/alice/login')).status, 200);
  assert.equal((await alice('POST', '/v1/agents/alice/ready')).status, 200);
  assert.equal((await alice('POST', '/v1/agents/alice/accept', { interaction: id })).status, 200);

  const page = await login(browser, srv, 'alice');
  const transcript = page.getByTestId(`transcript-${id}`);
  await transcript.getByText('bold?', { exact: false }).waitFor();
  const shown = await transcript.innerText();
  assert.ok(shown.includes(TEXT), `the message as typed: ${shown}`);
  assert.ok((await page.locator('body').innerText()).includes(NAME), 'the name as typed');
  assert.equal(await transcript.locator('script, b, img').count(), 0, 'no element from the text');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await shot(page, 'escaping-desktop');

  // the supervisor's view of the same interaction (as the admin, who sees all)
  const admin = await login(browser, srv, 'admin');
  await admin.goto(`${srv.url}/wallboard.html`);
  await admin.locator('body').getByText('billing').first().waitFor();
  assert.equal(await admin.evaluate(() => window.__pwned), undefined);
  assert.equal(page.errors, undefined, `no page errors: ${page.errors}`);

  // the widget: the customer types markup, the agent answers with markup
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const shop = await ctx.newPage();
  await shop.goto(`${srv.url}/chat-demo.html`);
  const launcher = shop.getByRole('button', { name: /chat/i }).first();
  if (await shop.getByTestId('chat-name').count() === 0 || !(await shop.getByTestId('chat-name').isVisible())) await launcher.click();
  await shop.getByTestId('chat-name').fill(NAME);
  await shop.getByTestId('chat-message').fill(TEXT);
  await shop.getByTestId('chat-start').click();
  let offer;
  for (let i = 0; i < 100 && !offer; i++) {
    const st = await alice('GET', '/v1/agents/alice/state');
    offer = (st.body.offers || [])[0];
    if (!offer) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(offer, 'the widget\'s chat is offered to alice');
  assert.equal((await alice('POST', '/v1/agents/alice/accept', { interaction: offer.interaction })).status, 200);
  const REPLY = '<img src=x onerror="window.__pwned=3">Hello <i>Eve</i>';
  assert.equal((await alice('POST', `/v1/interactions/${offer.interaction}/messages`, { text: REPLY })).status, 201);
  const widget = shop.getByTestId('chat-transcript');
  await widget.getByText('Hello <i>Eve</i>', { exact: false }).waitFor();
  const said = await widget.innerText();
  assert.ok(said.includes(TEXT) && said.includes(REPLY), said);
  // and in its place: the agent joined, then spoke
  assert.ok(said.indexOf('joined the chat') < said.indexOf(REPLY), said);
  assert.equal(await widget.locator('img, i, b, script').count(), 0);
  assert.equal(await shop.evaluate(() => window.__pwned), undefined);
  await shot(shop, 'escaping-widget');
});
