// lib.mjs: what the browser tests share.  The real server binary on
// 127.0.0.1 with a temporary data directory and the demo tenant, and
// Debian's Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const BUILD = process.env.SB_BUILD || join(ROOT, 'build');
export const ARTIFACTS = join(BUILD, 'artifacts', 'screenshots');

export const USERS = {
  admin: 'demo-admin-pass',
  sam: 'demo-super-pass',
  alice: 'demo-alice-pass',
  bob: 'demo-bob-pass',
  carol: 'demo-carol-pass',
};

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

// Start `switchboard serve` on a free port with a new data directory and
// the demo tenant.  Returns {url, port, dataDir, stop(), kill9(), restart()}.
// extraArgs: more flags (e.g. ['--chat-abandon-ms', '2000']).
export async function startServer(extraArgs = []) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-browser-'));
  const port = await freePort();
  const srv = { port, dataDir, url: `http://127.0.0.1:${port}`, proc: null, log: '' };
  const args = ['serve', '--data', dataDir, '--port', String(port), '--listen', '127.0.0.1',
    '--seed', join(ROOT, 'scripts', 'demo-tenant.json'), '--rate-limit', '0', ...extraArgs];
  srv.start = () => new Promise((ok, fail) => {
    const p = spawn(join(BUILD, 'switchboard'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    srv.proc = p;
    let done = false;
    const timer = setTimeout(() => { if (!done) { done = true; fail(new Error('server did not start: ' + srv.log)); } }, 15000);
    const onData = (d) => {
      srv.log += d.toString();
      if (!done && srv.log.includes('switchboard: serving')) { done = true; clearTimeout(timer); ok(); }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('exit', (code) => { if (!done) { done = true; clearTimeout(timer); fail(new Error(`server exited ${code}: ${srv.log}`)); } });
  });
  const waitExit = (p) => new Promise((ok) => (p.exitCode !== null || p.signalCode !== null ? ok() : p.once('exit', ok)));
  // SIGTERM: a clean stop (streams closed with 1001).
  srv.stop = async () => { if (srv.proc) { srv.proc.kill('SIGTERM'); await waitExit(srv.proc); srv.proc = null; } };
  srv.kill9 = async () => { if (srv.proc) { srv.proc.kill('SIGKILL'); await waitExit(srv.proc); srv.proc = null; } };
  // Stop and start again on the same port and data directory.
  srv.restart = async ({ hard = false } = {}) => { await (hard ? srv.kill9() : srv.stop()); srv.log = ''; await srv.start(); };
  srv.cleanup = async () => { await srv.stop(); rmSync(dataDir, { recursive: true, force: true }); };
  await srv.start();
  return srv;
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.SB_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

// A server and a browser for test t, both gone when it ends.
export async function serverAndBrowser(t, extraArgs = []) {
  const srv = await startServer(extraArgs);
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await srv.cleanup();
  });
  return { srv, browser };
}

// A new browser context logged in as `user` through the login form;
// returns its page, on the page the login leads to.
export async function login(browser, srv, user, password = USERS[user], viewport = { width: 1280, height: 720 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('pageerror', (e) => { page.errors = (page.errors || []).concat(String(e)); });
  await page.goto(srv.url + '/index.html');
  await page.getByLabel('User').fill(user);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/index.html')), page.getByRole('button', { name: 'Log in' }).click()]);
  return page;
}

// A screenshot as a test artifact: build/artifacts/screenshots/NAME.png.
export async function shot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// The API as a user, outside the browser (set-up and checks).
export async function apiAs(srv, user, password = USERS[user]) {
  const res = await fetch(srv.url + '/v1/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user, password }),
  });
  if (!res.ok) throw new Error(`login ${user}: ${res.status}`);
  const { token } = await res.json();
  return async (method, path, body) => {
    const r = await fetch(srv.url + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
}
