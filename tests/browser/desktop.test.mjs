// desktop.test.mjs: the agent desktop and the web chat widget in real
// Chromium against the real server.  node --test tests/browser/desktop.test.mjs
//
//   1. the end-to-end scenario: a customer on another origin's page chats
//      with alice through the widget, the supervisor watches the
//      wallboard, the server restarts mid-conversation, alice ends and
//      wraps up; the transcript and the code are on the server.
//   2. widget on a phone-sized screen.
//   3. alice cannot open bob's interaction by its address.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { apiAs, launchBrowser, login, shot, startServer } from './lib.mjs';

let srv;
let browser;
let shop; // another origin's page embedding the widget
let shopUrl;

// Errors in a page's console, uncaught exceptions and CSP violations.
// Expected ones (a connection refused while the server restarts, a 404 a
// test asks for) are filtered by the caller.
function watch(page, name) {
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${name}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${name}: uncaught ${e}`));
  return errors;
}

async function cspViolations(page) {
  return page.evaluate(() => window.__csp || []);
}

async function recordCsp(context) {
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window.__csp = window.__csp || []).push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
}

// Network errors while the server is down are expected, nothing else.
const DOWN = /ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|WebSocket connection to .* failed|Failed to fetch/;

function unexpected(errors, allow = DOWN) {
  return errors.filter((e) => !allow.test(e));
}

async function until(fn, what, timeout = 15000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
  shop = createServer((req, res) => {
    const port = new URL(srv.url).port;
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      // a strict host page: no inline style or script at all
      'Content-Security-Policy': `default-src 'self'; script-src 'self' ${srv.url}; style-src 'self'; connect-src ${srv.url} ws://127.0.0.1:${port}`,
    });
    res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Another shop</title></head>
<body><h1>Another shop</h1><p>Garden tools, delivered.</p>
<script src="${srv.url}/chat.js" data-queue="support"></script></body></html>`);
  });
  await new Promise((ok) => shop.listen(0, '127.0.0.1', ok));
  shopUrl = `http://127.0.0.1:${shop.address().port}/shop.html`;
});

after(async () => {
  await browser?.close();
  await srv?.cleanup();
  await new Promise((ok) => (shop ? shop.close(ok) : ok()));
});

describe('agent desktop and web chat', () => {
  test('end to end: customer, agent and supervisor through a server restart', async () => {
    const admin = await apiAs(srv, 'admin');

    // the agent
    const agent = await login(browser, srv, 'alice');
    assert.match(agent.url(), /\/desktop\.html/);
    await recordCsp(agent.context());
    const agentErrors = watch(agent, 'desktop');
    await agent.reload();
    const stateBadge = agent.getByTestId('agent-state');
    await stateBadge.filter({ hasText: 'Logged out' }).waitFor();

    // the supervisor, on the wallboard (another person's page)
    const sup = await login(browser, srv, 'sam');
    const hasWallboard = (await sup.getByTestId('q-support-answered').count()) > 0 ||
      (await sup.getByTestId('q-support-answered').waitFor({ timeout: 5000 }).then(() => true, () => false));
    const cellNumber = async (id) => Number((await sup.getByTestId(id).textContent()).replace(/[^0-9]/g, '') || 0);
    let answeredBefore = 0;
    if (hasWallboard) {
      await until(async () => /\d/.test(await sup.getByTestId('q-support-answered').textContent()), 'the wallboard figures');
      answeredBefore = await cellNumber('q-support-answered');
    }

    // the customer, on a page of another origin
    const custCtx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    await recordCsp(custCtx);
    const cust = await custCtx.newPage();
    const custErrors = watch(cust, 'widget');
    await cust.goto(shopUrl);
    await cust.getByTestId('chat-launcher').click();
    await cust.getByLabel('Your name').fill('Zoe Customer');
    await cust.getByLabel('E-mail (optional)').fill('zoe@example.org');
    await cust.getByTestId('chat-message').fill('Hello, my kettle is broken.');
    await shot(cust, 'e2e-01-widget-form');
    await cust.getByTestId('chat-start').click();
    const status = cust.getByTestId('chat-status');
    await status.filter({ hasText: /place in the queue: 1/ }).waitFor();
    await cust.getByTestId('chat-transcript').getByText('Hello, my kettle is broken.').waitFor();
    await shot(cust, 'e2e-02-widget-queued');
    if (hasWallboard) {
      await until(async () => (await cellNumber('q-support-waiting')) === 1, 'the wallboard shows 1 waiting');
      await shot(sup, 'e2e-03-wallboard-waiting');
    }

    // the agent logs in, goes ready and is offered the chat
    await agent.getByRole('button', { name: 'Log in' }).click();
    await stateBadge.filter({ hasText: 'Not ready' }).waitFor();
    await agent.getByRole('button', { name: 'Ready', exact: true }).click();
    const offer = agent.locator('[data-testid^="offer-"]');
    await offer.waitFor();
    const ix = (await offer.getAttribute('data-testid')).slice('offer-'.length);
    assert.match(ix, /^\d+$/);
    await offer.getByText('Zoe Customer').waitFor();
    await offer.getByText(/Queue support/).waitFor();
    assert.match(await offer.locator('.countdown').textContent(), /\d+ s/);
    assert.equal(await agent.evaluate(() => document.activeElement.dataset.testid), `accept-${ix}`, 'Accept has the focus');
    await shot(agent, 'e2e-04-desktop-offer');
    await agent.keyboard.press('Enter'); // Accept, by keyboard
    const transcript = agent.getByTestId(`transcript-${ix}`);
    await transcript.getByText('Hello, my kettle is broken.').waitFor();
    await offer.waitFor({ state: 'detached' });

    // the customer sees the agent join
    await cust.getByTestId('chat-transcript').getByText('Alice Martin joined the chat.').waitFor();
    await status.filter({ hasText: 'chatting with Alice Martin' }).waitFor();
    if (hasWallboard) {
      await until(async () => (await cellNumber('q-support-answered')) > answeredBefore, 'the wallboard counts the answer');
      await shot(sup, 'e2e-05-wallboard-answered');
    }

    // messages both ways, typing both ways
    const input = agent.getByTestId(`chat-input-${ix}`);
    assert.equal(await agent.evaluate(() => document.activeElement.dataset.testid), `chat-input-${ix}`, 'the message box has the focus after Accept');
    await input.pressSequentially('Hi Zoe');
    await cust.getByTestId('chat-typing').filter({ hasText: 'Alice Martin is typing' }).waitFor();
    await input.press('Shift+Enter');
    await input.pressSequentially('which model is it?');
    await input.press('Enter');
    await cust.getByTestId('chat-transcript').getByText(/Hi Zoe\s+which model is it\?/).waitFor();
    assert.equal(await input.inputValue(), '', 'Enter sent and emptied the box');

    const box = cust.getByTestId('chat-message');
    await box.pressSequentially('The KX-200');
    await agent.getByTestId(`typing-${ix}`).filter({ hasText: 'Zoe Customer is typing' }).waitFor();
    await shot(agent, 'e2e-06-desktop-customer-typing');
    await box.press('Enter');
    await transcript.getByText('The KX-200').waitFor();
    await cust.getByTestId('chat-transcript').getByText('The KX-200').waitFor();
    // customer and agent messages are told apart
    assert.equal(await transcript.locator('.msg.from-customer', { hasText: 'The KX-200' }).count(), 1);
    assert.equal(await transcript.locator('.msg.from-agent', { hasText: 'Hi Zoe' }).count(), 1);
    await shot(agent, 'e2e-07-desktop-chat');
    await shot(cust, 'e2e-08-widget-chat');

    // a note, on the desktop only
    await agent.getByTestId(`note-input-${ix}`).fill('Customer has a KX-200, out of warranty.');
    await agent.getByTestId(`note-add-${ix}`).click();
    await agent.getByTestId(`notes-${ix}`).getByText('out of warranty').waitFor();

    // the server restarts mid-conversation
    const banner = agent.getByTestId('reconnecting');
    const bannerShown = banner.waitFor({ state: 'visible', timeout: 20000 });
    const custDown = status.filter({ hasText: 'reconnecting' }).waitFor({ timeout: 20000 });
    await srv.restart();
    await bannerShown;
    await custDown;
    await banner.waitFor({ state: 'hidden', timeout: 20000 });
    await shot(agent, 'e2e-09-desktop-after-restart');

    // both carry on: a message each way, nothing earlier lost
    await box.fill('Are you still there?');
    await box.press('Enter');
    await transcript.getByText('Are you still there?').waitFor();
    await input.fill('Yes, still here. A new kettle is on its way.');
    await input.press('Enter');
    await cust.getByTestId('chat-transcript').getByText('A new kettle is on its way.').waitFor();
    await status.filter({ hasText: 'chatting with Alice Martin' }).waitFor();
    for (const text of ['Hello, my kettle is broken.', 'which model is it?', 'The KX-200']) {
      assert.equal(await transcript.getByText(text).count(), 1, `desktop still shows "${text}"`);
      assert.equal(await cust.getByTestId('chat-transcript').getByText(text).count(), 1, `widget still shows "${text}"`);
    }
    await agent.getByTestId(`notes-${ix}`).getByText('out of warranty').waitFor();

    // a reload of the customer's page carries on with the same conversation
    await cust.reload();
    await cust.getByTestId('chat-transcript').getByText('A new kettle is on its way.').waitFor();
    await status.filter({ hasText: 'chatting with Alice Martin' }).waitFor();
    assert.equal(await cust.getByTestId('chat-transcript').locator('li.msg').count(), 5);

    // and so does a reload of the desktop: the chat, its transcript and notes come back from the API
    await agent.reload();
    await transcript.getByText('A new kettle is on its way.').waitFor();
    assert.equal(await transcript.locator('li.msg').count(), 5);
    await agent.getByTestId(`notes-${ix}`).getByText('out of warranty').waitFor();
    await stateBadge.filter({ hasText: 'Ready' }).waitFor();

    // the agent ends the chat and wraps up with a code
    await agent.getByTestId(`end-${ix}`).click();
    const code = agent.getByTestId(`wrapup-code-${ix}`);
    await code.waitFor();
    const finish = agent.getByTestId(`wrapup-finish-${ix}`);
    assert.equal(await finish.isDisabled(), true, 'support needs a code: Finish waits for one');
    assert.match(await agent.locator(`#panel-${ix} .wrapup .countdown`).textContent(), /min|s/);
    await stateBadge.filter({ hasText: 'Wrap-up' }).waitFor();
    await cust.getByTestId('chat-transcript').getByText('Alice Martin ended the chat.').waitFor();
    await status.filter({ hasText: 'The chat has ended' }).waitFor();
    await cust.getByTestId('chat-new').waitFor();
    await shot(agent, 'e2e-10-desktop-wrapup');
    await shot(cust, 'e2e-11-widget-ended');
    await code.selectOption('resolved');
    await finish.click();
    await agent.getByTestId(`panel-${ix}`).waitFor({ state: 'detached' });
    await stateBadge.filter({ hasText: /^Ready/ }).waitFor();

    // the server has the transcript and the code
    const msgs = await admin('GET', `/v1/interactions/${ix}/messages`);
    assert.equal(msgs.status, 200);
    const said = msgs.body.items.filter((m) => m.from !== 'system').map((m) => [m.from, m.text]);
    assert.deepEqual(said, [
      ['customer', 'Hello, my kettle is broken.'],
      ['agent', 'Hi Zoe\nwhich model is it?'],
      ['customer', 'The KX-200'],
      ['customer', 'Are you still there?'],
      ['agent', 'Yes, still here. A new kettle is on its way.'],
    ]);
    const done = await admin('GET', `/v1/interactions/${ix}`);
    assert.equal(done.body.state, 'completed');
    assert.equal(done.body.wrapup_code, 'resolved');
    assert.equal(done.body.agent, 'alice');

    // not ready, with a reason, from the top bar
    await agent.getByLabel('Reason').selectOption('break');
    await agent.getByRole('button', { name: 'Not ready', exact: true }).click();
    await stateBadge.filter({ hasText: 'Not ready — Break' }).waitFor();
    await shot(agent, 'e2e-12-desktop-not-ready');

    assert.deepEqual(await cspViolations(agent), []);
    assert.deepEqual(await cspViolations(cust), []);
    assert.deepEqual(unexpected(agentErrors), []);
    assert.deepEqual(unexpected(custErrors), []);
    assert.deepEqual(agent.errors || [], []);
    await custCtx.close();
    await agent.context().close();
    await sup.context().close();
  });

  test('the widget on a phone-sized screen', async () => {
    const ctx = await browser.newContext({ viewport: { width: 375, height: 667 }, hasTouch: true, isMobile: true });
    await recordCsp(ctx);
    const page = await ctx.newPage();
    const errors = watch(page, 'widget-phone');
    // our own demo page this time (our CSP applies)
    await page.goto(`${srv.url}/chat-demo.html`);
    await page.getByTestId('chat-launcher').click();
    const panel = page.getByTestId('chat-panel');
    await panel.waitFor();
    const b = await panel.boundingBox();
    assert.ok(b.x <= 1 && b.y <= 1 && b.width >= 374 && b.height >= 666, `the panel fills the screen: ${JSON.stringify(b)}`);
    await page.getByLabel('Your name').fill('Pat');
    await page.getByTestId('chat-message').fill('Is the toaster in stock?');
    const start = page.getByTestId('chat-start');
    const sb = await start.boundingBox();
    assert.ok(sb.y + sb.height <= 667 && sb.x >= 0 && sb.x + sb.width <= 375, 'Start is on the screen');
    await shot(page, 'phone-01-widget-form');
    await start.click();
    await page.getByTestId('chat-status').filter({ hasText: 'place in the queue' }).waitFor();
    const send = await page.getByTestId('chat-send').boundingBox();
    assert.ok(send.y + send.height <= 667 && send.x + send.width <= 375, 'Send is on the screen');
    await shot(page, 'phone-02-widget-queued');
    await page.getByTestId('chat-end').click();
    await page.getByTestId('chat-new').waitFor();
    await shot(page, 'phone-03-widget-ended');
    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(unexpected(errors), []);
    await ctx.close();
  });

  test("an agent cannot open another agent's interaction by its address", async () => {
    const admin = await apiAs(srv, 'admin');
    const bob = await apiAs(srv, 'bob');
    const alice = await apiAs(srv, 'alice');
    assert.equal((await bob('POST', '/v1/agents/bob/login')).status, 200);
    assert.equal((await bob('POST', '/v1/agents/bob/ready')).status, 200);
    // sales: bob serves it, alice does not
    const made = await admin('POST', '/v1/interactions', { queue: 'sales', channel: 'chat', customer: 'secret@example.org' });
    assert.equal(made.status, 201);
    const id = made.body.id;
    await until(async () => (await bob('GET', '/v1/agents/bob/state')).body.offers.some((o) => o.interaction === id), 'the offer to bob');
    assert.equal((await bob('POST', '/v1/agents/bob/accept', { interaction: id })).status, 200);
    assert.equal((await admin('GET', `/v1/interactions/${id}`)).body.state, 'connected');

    for (const path of [`/v1/interactions/${id}`, `/v1/interactions/${id}/messages`, `/v1/interactions/${id}/notes`, `/v1/interactions/${id}/related`]) {
      assert.equal((await alice('GET', path)).status, 404, `alice GET ${path}`);
    }
    assert.equal((await alice('POST', `/v1/interactions/${id}/messages`, { text: 'hi' })).status, 404);

    const page = await login(browser, srv, 'alice');
    await recordCsp(page.context());
    const errors = watch(page, 'desktop');
    await page.goto(`${srv.url}/desktop.html#ix=${id}`);
    await page.getByTestId('ix-not-found').waitFor();
    assert.match(await page.getByTestId('ix-not-found').textContent(), /not found/);
    assert.equal(await page.getByTestId(`panel-${id}`).count(), 0);
    assert.equal(await page.getByTestId(`transcript-${id}`).count(), 0);
    assert.equal(await page.getByText('secret@example.org').count(), 0);
    await shot(page, 'desktop-not-found');
    assert.deepEqual(await cspViolations(page), []);
    // the 404s asked for above are the only errors
    assert.deepEqual(unexpected(errors, /status of 404/), []);
    await page.context().close();
  });

  test('offers by API: reject, accept, transfer to a queue, optional wrap-up', async () => {
    const admin = await apiAs(srv, 'admin');
    const page = await login(browser, srv, 'alice');
    const errors = watch(page, 'desktop');
    await page.getByRole('button', { name: 'Ready', exact: true }).click();
    await page.getByTestId('agent-state').filter({ hasText: /^Ready/ }).waitFor();

    // an e-mail offered, rejected
    const e1 = (await admin('POST', '/v1/interactions', { queue: 'billing', channel: 'email', customer: 'first@example.org' })).body.id;
    await page.getByTestId(`offer-${e1}`).getByText('first@example.org').waitFor();
    await page.getByTestId(`reject-${e1}`).click();
    await page.getByTestId(`offer-${e1}`).waitFor({ state: 'detached' });
    assert.equal((await admin('GET', `/v1/interactions/${e1}`)).body.state, 'queued');

    // another, accepted and transferred to the support queue
    const e2 = (await admin('POST', '/v1/interactions', { queue: 'billing', channel: 'email', customer: 'second@example.org', attributes: { vip: true } })).body.id;
    await page.getByTestId(`accept-${e2}`).click();
    const panel = page.getByTestId(`panel-${e2}`);
    await panel.getByText('second@example.org').first().waitFor();
    await panel.locator('.attrs').getByText('vip').waitFor();
    await page.getByTestId(`transfer-${e2}`).click();
    await page.getByTestId('transfer-queue').selectOption('support');
    await page.getByTestId('transfer-ok').click();
    await until(async () => (await admin('GET', `/v1/interactions/${e2}`)).body.queue === 'support', 'the transfer');
    // alice serves support too: the e-mail may come back to her as a new offer
    await until(async () => (await page.getByTestId(`ix-state-${e2}`).count()) === 0 || (await page.getByTestId(`offer-${e2}`).count()) === 1, 'the panel to leave');

    // a call in billing (wrap-up optional): End, then finish without a code
    await admin('POST', `/v1/interactions/${e2}/cancel`);
    await page.getByTestId(`offer-${e2}`).waitFor({ state: 'detached' });
    const v = (await admin('POST', '/v1/interactions', { queue: 'billing', channel: 'voice', customer: '+41 44 000 00 00' })).body.id;
    await page.getByTestId(`accept-${v}`).click();
    await page.getByTestId(`end-${v}`).click();
    await page.getByTestId(`wrapup-skip-${v}`).click();
    await page.getByTestId(`panel-${v}`).waitFor({ state: 'detached' });
    const call = (await admin('GET', `/v1/interactions/${v}`)).body;
    assert.equal(call.state, 'completed');
    assert.equal(call.wrapup_code, null);
    await shot(page, 'desktop-after-call');
    assert.deepEqual(unexpected(errors), []);
    await page.context().close();
  });
});
