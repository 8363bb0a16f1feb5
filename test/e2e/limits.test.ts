/**
 * Limits (issue #8): connections per address, sessions per account, the cap on unauthenticated
 * time, login failure back-off, roster size and the traffic shaper. Each hit gets its RFC
 * error and a warning naming the address (or the account); a bystander is served all along.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startServer, type TestServer } from '../support/server.js';
import { raw, rawSession, streamOpen, type RawClient, type TestClient } from '../support/xmpp.js';
import { condition, login, online, register, rosterGet, rosterSet, items, settle } from '../support/im.js';

const RATE = 4000;
let server: TestServer;
let bystander: TestClient;

before(async () => {
  server = await startServer({
    env: { TROUPE_LOGLEVEL: 'warn' },
    limits: { max_connections_per_ip: 3, max_user_sessions: 2, auth_timeout_s: 1, max_auth_failures: 1, c2s_shaper: 'test' },
    shaper: { test: { rate: RATE, burst_size: RATE } },
    modules: { mod_roster: { max_roster_size: 2 } },
  });
  await register(server, 'alice', 'bob', 'carol', 'dave');
  bystander = await online(server, 'bob', 'bystander');
});

after(async () => {
  await bystander?.stop();
  await server?.stop();
});

/** The bystander still gets messages: the server was not hurt. */
async function bystanderServed(tag: string): Promise<void> {
  const probe = await rawSession(server.ports.c2s_tls, 'dave', 'dave-pw', `probe-${tag}`, '127.0.0.6');
  probe.write(`<message to='bob@localhost/bystander' type='chat'><body>${tag}</body></message>`);
  await bystander.next((el) => el.is('message') && el.getChildText('body') === tag);
  probe.end();
}

const streamError = (c: RawClient, cond: string): Promise<string> =>
  c.read((t) => t.includes('</stream:stream>')).then((t) => {
    assert.match(t, new RegExp(`<stream:error><${cond} xmlns=['"]urn:ietf:params:xml:ns:xmpp-streams['"]/?>`));
    return t;
  });

/** A warning in the node's log with `msg` and these fields. */
async function warned(msg: string, fields: Record<string, unknown>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const lines = server.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    if (lines.some((l) => l.level === 40 && String(l.msg).includes(msg) && Object.entries(fields).every(([k, v]) => l[k] === v))) return;
    await settle(100);
  }
  assert.fail(`no warning "${msg}" with ${JSON.stringify(fields)} in\n${server.output()}`);
}

async function opened(address: string, secure = true): Promise<RawClient> {
  const c = await raw(secure ? server.ports.c2s_tls : server.ports.c2s, secure, address);
  c.write(streamOpen());
  await c.read((t) => t.includes('</stream:features>'));
  return c;
}

test('connections per address: the fourth gets policy-violation; a closed one, even after STARTTLS, frees its place', async () => {
  const first = await opened('127.0.0.2', false);
  first.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  await first.read((t) => t.includes('<proceed'));
  const held = [first, await opened('127.0.0.2'), await opened('127.0.0.2')];
  const fourth = await raw(server.ports.c2s_tls, true, '127.0.0.2');
  fourth.write(streamOpen());
  const text = await streamError(fourth, 'policy-violation');
  assert.match(text, /at most 3 connections per address/);
  await fourth.closed;
  await warned('too many connections from this address', { ip: '127.0.0.2', limit: 3 });
  await bystanderServed('other addresses are served');
  held[0]?.end(); // the one that went through STARTTLS
  await held[0]?.closed;
  let again: RawClient | null = null;
  for (let i = 0; i < 50 && !again; i++) {
    const c = await raw(server.ports.c2s_tls, true, '127.0.0.2');
    c.write(streamOpen());
    const t = await c.read((x) => x.includes('</stream:features>') || x.includes('</stream:stream>'));
    if (t.includes('</stream:features>')) again = c;
    else await settle(100); // the server has not seen the close yet
  }
  assert.ok(again, 'a place was freed');
  for (const c of [again, ...held]) c?.end();
});

test('sessions per account: a third resource gets resource-constraint; replacing a resource still works', async () => {
  const a = await rawSession(server.ports.c2s_tls, 'alice', 'alice-pw', 'one', '127.0.0.3');
  const b = await rawSession(server.ports.c2s_tls, 'alice', 'alice-pw', 'two', '127.0.0.3');
  const c = await rawSession(server.ports.c2s_tls, 'alice', 'alice-pw', 'three', '127.0.0.3');
  const refused = c.text().slice(c.text().lastIndexOf('<iq'));
  assert.match(refused, /type=['"]error['"]/);
  assert.match(refused, /<error type=['"]wait['"]><resource-constraint xmlns=['"]urn:ietf:params:xml:ns:xmpp-stanzas['"]\/>/);
  await warned('bind refused: too many sessions', { user: 'alice@localhost', limit: 2 });
  c.end(); // three connections are 127.0.0.3's limit
  await c.closed;
  const replacing = await rawSession(server.ports.c2s_tls, 'alice', 'alice-pw', 'two', '127.0.0.4');
  assert.match(replacing.text(), /<jid>alice@localhost\/two<\/jid>/);
  await streamError(b, 'conflict');
  await bystanderServed('after sessions');
  for (const x of [a, replacing]) x.end();
});

test('an unauthenticated connection is closed with connection-timeout after auth_timeout_s', async () => {
  const c = await raw(server.ports.c2s_tls);
  c.write(streamOpen());
  await streamError(c, 'connection-timeout');
  await c.closed;
  await warned('stream error', { condition: 'connection-timeout', ip: '::ffff:127.0.0.1' });
  await bystanderServed('after timeout');
});

test('repeated login failures from one address: still not-authorized, answers delayed, a warning with the address', async () => {
  const c = await raw(server.ports.c2s_tls, true, '127.0.0.5');
  c.write(streamOpen());
  await c.read((t) => t.includes('</stream:features>'));
  const bad = Buffer.from('\0carol\0wrong').toString('base64');
  for (let i = 1; i <= 3; i++) {
    c.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${bad}</auth>`);
    await c.read((t) => (t.match(/<not-authorized\/><\/failure>/g) ?? []).length >= i);
  }
  await warned('repeated authentication failures', { ip: '::ffff:127.0.0.5' });
  c.end();
  const carol = await login(server, 'carol', 'ok'); // the right password from elsewhere is not delayed
  await carol.stop();
  await bystanderServed('after failures');
});

test('roster size: an item past max_roster_size gets policy-violation and is not stored', async () => {
  const carol = await login(server, 'carol', 'desk');
  for (const jid of ['a@example.net', 'b@example.net']) assert.equal((await rosterSet(carol, { jid })).attrs.type, 'result');
  const third = await rosterSet(carol, { jid: 'c@example.net' });
  assert.equal(third.attrs.type, 'error');
  assert.equal(condition(third), 'policy-violation');
  assert.deepEqual([...items(await rosterGet(carol)).keys()].sort(), ['a@example.net', 'b@example.net']);
  assert.equal((await rosterSet(carol, { jid: 'a@example.net', name: 'A' })).attrs.type, 'result', 'changing an item is not adding one');
  await warned('roster full', { user: 'carol@localhost', limit: 2 });
  await carol.stop();
  await bystanderServed('after roster');
});

test('the shaper pauses reading a fast sender without an error: what it sends next waits for the bucket to refill', async () => {
  const sender = await rawSession(server.ports.c2s_tls, 'dave', 'dave-pw', 'bulk', '127.0.0.4');
  const message = (id: string): string => `<message to='bob@localhost/bystander' type='chat' id='${id}'><body>${'x'.repeat(1000)}</body></message>`;
  const burst = Array.from({ length: 12 }, (_, i) => message(`s${i}`)).join('');
  const started = Date.now();
  sender.write(burst); // 12 KB against a 4 KB bucket: reading stops for (12 - 4) / 4 s once it is read
  for (let i = 0; i < 12; i++) await bystander.next((el) => el.is('message') && el.attrs.id === `s${i}`, 20_000);
  sender.write(message('after'));
  await bystander.next((el) => el.is('message') && el.attrs.id === 'after', 20_000);
  // A lower bound the shaper guarantees (never flaky): the next read waits until the bucket refilled.
  const refill = ((Buffer.byteLength(burst) - RATE) / RATE) * 1000;
  assert.ok(Date.now() - started >= refill - 20, `the second write was read ${Date.now() - started} ms after the first, the refill takes ${refill} ms`);
  assert.doesNotMatch(sender.text(), /stream:error/);
  await warned('shaper: over the rate', { ip: '::ffff:127.0.0.4', shaper: 'test' });
  sender.end();
});

test('connections per address over WebSocket: the fourth gets <open/>, the policy-violation error and <close/>', async () => {
  const open = (): Promise<{ ws: WebSocket; messages: string[]; closed: Promise<void> }> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.ports.http}/ws`, 'xmpp', { localAddress: '127.0.0.7' });
      const messages: string[] = [];
      ws.on('message', (m: Buffer) => messages.push(m.toString()));
      const closed = new Promise<void>((r) => ws.on('close', () => r()));
      ws.once('open', () => resolve({ ws, messages, closed }));
      ws.once('error', reject);
    });
  const held = [await open(), await open(), await open()];
  const fourth = await open();
  await fourth.closed;
  assert.match(fourth.messages[0] ?? '', /^<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'/);
  assert.match(fourth.messages[1] ?? '', /<policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
  assert.match(fourth.messages[2] ?? '', /^<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'\/>$/);
  await warned('too many connections from this address', { ip: '127.0.0.7', listener: 'websocket' });
  for (const c of held) c.ws.close();
  await bystanderServed('after websockets');
});
