/**
 * The observer in a real headless Chromium (Debian's, driven by playwright-core): the page shows
 * the live tree and the sessions; a click on router's crash button brings its new pid and
 * restart count without a reload, and the restart into the timeline. The screenshot is written
 * to the test's temp dir, or to docs/observer.png with TROUPE_UPDATE_SCREENSHOT=1.
 * Also: who may reach the observer over HTTP (the pure check is in test/unit/http_access.test.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../support/browser.js';
import { ROOT, startServer, type TestServer } from '../support/server.js';
import { xml, type TestClient } from '../support/xmpp.js';
import { login, register } from '../support/im.js';

/** What the browser-side callbacks touch (this project compiles without the DOM lib). */
interface DomNode { textContent: string | null; querySelector(selector: string): DomNode | null }
declare const document: DomNode;
declare const window: { notReloaded?: boolean };

let server: TestServer;
let browser: Browser;
const clients: TestClient[] = [];

before(async () => {
  server = await startServer();
  await register(server, 'alice', 'bob');
  clients.push(await login(server, 'alice', 'desk'), await login(server, 'alice', 'phone'), await login(server, 'bob', 'laptop'));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await Promise.all(clients.map((c) => c.stop()));
  await server?.stop();
});

const base = (): string => `http://127.0.0.1:${server.ports.http}`;

test('clicking crash on router shows its new pid and restart count 1 without reloading', async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${base()}/observer`);
  const router = page.locator('tr[data-name="router"]');
  await router.locator('td.pid', { hasText: /^<0\.\d+\.0>$/ }).waitFor();
  const oldPid = await router.locator('td.pid').textContent();
  assert.equal(await router.locator('td.restarts').textContent(), '0');
  await page.locator('#sessions li', { hasText: 'alice@localhost/desk' }).waitFor();
  await page.evaluate(() => (window.notReloaded = true));

  await router.locator('button.crash').click();

  await page.waitForFunction((old) => {
    const row = document.querySelector('tr[data-name="router"]');
    const pid = row?.querySelector('td.pid')?.textContent;
    return pid !== old && /^<0\.\d+\.0>$/.test(pid ?? '') && row?.querySelector('td.restarts')?.textContent === '1';
  }, oldPid, { timeout: 10_000, polling: 100 });
  const newPid = await router.locator('td.pid').textContent();
  assert.notEqual(newPid, oldPid);
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'same document');
  await page.locator('#timeline li', { hasText: `troupe_sup › router ${newPid}` }).waitFor();
  assert.match(await router.locator('td.exit').textContent() ?? '', /crashed by troupectl/);
  // Everything else kept its pid and shows no restart.
  assert.equal(await page.locator('tr[data-name="sm"] td.restarts').textContent(), '0');
  assert.equal(await page.locator('#sessions li').count(), 3);

  // Some traffic for the picture: alice chats with bob while two snapshots fill in the rates.
  const chatter = setInterval(() => void clients[0]!.xmpp.send(xml('message', { to: 'bob@localhost/laptop', type: 'chat' }, xml('body', {}, 'hi'))), 25);
  await page.waitForTimeout(2600);
  clearInterval(chatter);
  const dir = process.env.TROUPE_UPDATE_SCREENSHOT ? path.join(ROOT, 'docs') : await mkdtemp(path.join(os.tmpdir(), 'observer-'));
  const shot = path.join(dir, 'observer.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok((await stat(shot)).size > 10_000, 'a real screenshot');
  await page.close();
});

/** A raw request, so Host and Origin can be forged (fetch does not allow it). */
function request(pathname: string, headers: Record<string, string>, method = 'GET', body = ''): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.ports.http, path: pathname, method, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('the token: a 0600 file in the data dir, accepted where loopback trust is not', async () => {
  const file = path.join(server.dir, 'data', 'observer.token');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const token = (await readFile(file, 'utf8')).trim();
  assert.ok(token.length >= 32);
  // A page from another site resolving to 127.0.0.1 (DNS rebinding) is not a loopback client.
  assert.equal(await request('/observer', { Host: 'evil.example' }), 403);
  assert.equal(await request(`/observer?token=${token}`, { Host: 'evil.example' }), 200);
  assert.equal(await request('/observer', { Host: 'evil.example', Authorization: `Bearer ${token}` }), 200);
  assert.equal(await request('/observer', { Host: 'evil.example', Authorization: 'Bearer forged' }), 403);
  // Another site's page cannot press the crash button (its Origin is not ours).
  assert.equal(await request('/observer/crash', { Origin: 'http://evil.example' }, 'POST', 'sm'), 403);
  assert.equal(await request('/observer/crash', {}, 'POST', 'no_such_actor'), 404);
  // /metrics is a public scrape target.
  assert.equal(await request('/metrics', { Host: 'evil.example' }), 200);
});
