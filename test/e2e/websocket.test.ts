/**
 * XMPP over WebSocket (RFC 7395) at /ws: the same c2s as TCP, only the framing differs.
 * A real browser (headless Chromium) logs in with xmpp.js and talks to a TCP client.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { ROOT, startServer, type TestServer } from '../support/server.js';
import { connect, xml } from '../support/xmpp.js';
import { launchBrowser } from '../support/browser.js';

/** The browser side (this project compiles without the DOM lib). */
declare const XMPP: {
  client(o: object): {
    start(): Promise<{ toString(): string }>;
    send(el: unknown): Promise<void>;
    on(event: string, fn: (el: { is(n: string): boolean; getChildText(n: string): string | null }) => void): void;
  };
  xml(name: string, attrs: object, ...children: unknown[]): unknown;
};
declare const window: { received: string[] };

let server: TestServer;
let browser: Browser;
let page: http.Server;

before(async () => {
  // Node 20 has no global WebSocket; xmpp.js's websocket transport expects one.
  (globalThis as { WebSocket?: unknown }).WebSocket = (await import('ws')).WebSocket;
  // As behind a TLS-terminating proxy: the browser build of xmpp.js has PLAIN only.
  server = await startServer({ listen: { http: { consider_websocket_secure: true } } });
  for (const [u, p] of [['alice', 'alice-pw'], ['bob', 'bob-pw']]) assert.equal((await server.ctl(['register', u as string, 'localhost', p as string])).code, 0);
  // A page on loopback (a secure context, so WebCrypto works for SCRAM) carrying xmpp.js's browser build.
  const bundle = await readFile(path.join(ROOT, 'node_modules/@xmpp/client/dist/xmpp.min.js'));
  page = http.createServer((req, res) => {
    if (req.url === '/xmpp.min.js') res.end(bundle);
    else res.end('<!doctype html><script src="/xmpp.min.js"></script><p>troupe websocket test</p>');
  });
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  page?.close();
  await server?.stop();
});

test('a Node client logs in over WebSocket and exchanges messages with a TCP client', async () => {
  const alice = await connect({ port: server.ports.http, username: 'alice', password: 'alice-pw', resource: 'ws', service: `ws://127.0.0.1:${server.ports.http}/ws`, mechanism: 'SCRAM-SHA-1' });
  const bob = await connect({ port: server.ports.c2s, username: 'bob', password: 'bob-pw', resource: 'tcp' });
  assert.equal(alice.xmpp.jid?.toString(), 'alice@localhost/ws');
  await alice.xmpp.send(xml('message', { to: 'bob@localhost/tcp', type: 'chat' }, xml('body', {}, 'over websocket')));
  assert.equal((await bob.next((el) => el.is('message'))).getChildText('body'), 'over websocket');
  await bob.xmpp.send(xml('message', { to: 'alice@localhost/ws', type: 'chat' }, xml('body', {}, 'over tcp')));
  assert.equal((await alice.next((el) => el.is('message'))).getChildText('body'), 'over tcp');
  await Promise.all([alice.stop(), bob.stop()]);
});

test('headless Chromium logs in with xmpp.js over WebSocket and chats with a TCP client', async () => {
  const bob = await connect({ port: server.ports.c2s, username: 'bob', password: 'bob-pw', resource: 'tcp2' });
  const tab = await browser.newPage();
  const pageUrl = `http://127.0.0.1:${(page.address() as { port: number }).port}/`;
  await tab.goto(pageUrl);
  const jid = await tab.evaluate(async (service: string) => {
    window.received = [];
    const xmpp = XMPP.client({ service, domain: 'localhost', username: 'alice', password: 'alice-pw', resource: 'browser' });
    xmpp.on('stanza', (el) => {
      if (el.is('message')) window.received.push(el.getChildText('body') ?? '');
    });
    const address = await xmpp.start();
    await xmpp.send(XMPP.xml('message', { to: 'bob@localhost/tcp2', type: 'chat' }, XMPP.xml('body', {}, 'hello from Chromium')));
    return address.toString();
  }, `ws://127.0.0.1:${server.ports.http}/ws`);
  assert.equal(jid, 'alice@localhost/browser');
  assert.equal((await bob.next((el) => el.is('message'))).getChildText('body'), 'hello from Chromium');
  await bob.xmpp.send(xml('message', { to: 'alice@localhost/browser', type: 'chat' }, xml('body', {}, 'hello browser')));
  await tab.waitForFunction(() => window.received.includes('hello browser'));
  await tab.close();
  await bob.stop();
});

test('a WebSocket without the xmpp subprotocol is refused', async () => {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(`ws://127.0.0.1:${server.ports.http}/ws`, 'not-xmpp');
  const outcome = await new Promise<string>((resolve) => {
    ws.on('close', () => resolve('closed'));
    ws.on('error', () => resolve('refused'));
    ws.on('message', () => resolve('served'));
  });
  assert.notEqual(outcome, 'served');
});
