/**
 * XEP-0199 XMPP ping end to end, both ways: the server answers pings to itself and to bare
 * JIDs, a ping to a full JID reaches the client; the server pings idle clients (a test-sized
 * interval here) and drops, with connection-timeout, the one that never answers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { startServer, type TestServer } from '../support/server.js';
import { rawSession, xml } from '../support/xmpp.js';
import { condition, iq, login, register, settle } from '../support/im.js';

const NS_PING = 'urn:xmpp:ping';
const INTERVAL_S = 0.5;
const ACK_TIMEOUT_S = 0.5;

let server: TestServer;

before(async () => {
  server = await startServer({ modules: { mod_ping: { ping_interval: INTERVAL_S, ping_ack_timeout: ACK_TIMEOUT_S } } });
  await register(server, 'alice', 'bob', 'carol', 'dave', 'erin');
});

after(async () => {
  await server?.stop();
});

const ping = () => xml('ping', { xmlns: NS_PING });
const isServerPing = (el: Element): boolean => el.is('iq') && el.attrs.type === 'get' && el.attrs.from === 'localhost' && !!el.getChild('ping', NS_PING);

test('pings to the server and to bare JIDs get a result; set, or another child, bad-request', async () => {
  const alice = await login(server, 'alice', 'desk');
  for (const to of ['localhost', 'alice@localhost', 'bob@localhost']) {
    const answer = await iq(alice, 'get', ping(), to);
    assert.equal(answer.attrs.type, 'result', `ping ${to}`);
    assert.equal(answer.attrs.from, to);
  }
  assert.equal(condition(await iq(alice, 'set', ping(), 'localhost')), 'bad-request');
  assert.equal(condition(await iq(alice, 'get', xml('pong', { xmlns: NS_PING }), 'localhost')), 'bad-request');
  await alice.stop();
});

test('a ping to a full JID is routed to that client, which answers', async () => {
  const alice = await login(server, 'alice', 'desk');
  const bob = await login(server, 'bob', 'phone');
  const answer = await iq(alice, 'get', ping(), 'bob@localhost/phone');
  assert.equal(answer.attrs.from, 'bob@localhost/phone', 'the client answered, not the server');
  await Promise.all([alice.stop(), bob.stop()]);
});

test('an idle client is pinged every interval; answering, it stays', async () => {
  const carol = await login(server, 'carol', 'idle');
  await carol.next(isServerPing, 3000);
  await carol.next(isServerPing, 3000);
  await settle((INTERVAL_S + ACK_TIMEOUT_S) * 1000 * 2);
  assert.equal(carol.xmpp.status, 'online');
  assert.equal((await iq(carol, 'get', ping(), 'localhost')).attrs.type, 'result');
  await carol.stop();
});

test('a client that never answers is disconnected with connection-timeout', async () => {
  const started = Date.now();
  const dave = await rawSession(server.ports.c2s_tls, 'dave', 'dave-pw', 'silent');
  await dave.closed;
  const elapsed = Date.now() - started;
  const text = dave.text();
  assert.match(text, /<iq[^>]*id=["']ping-[0-9a-f]+["'][^>]*>\s*<ping xmlns=["']urn:xmpp:ping["']/, 'it was pinged');
  assert.match(text, /<connection-timeout xmlns=["']urn:ietf:params:xml:ns:xmpp-streams["']/);
  assert.ok(elapsed >= (INTERVAL_S + ACK_TIMEOUT_S) * 1000 - 100 && elapsed < 5000, `disconnected after ${elapsed} ms`);
});

test('a client that keeps talking is not idle: no ping', async () => {
  const erin = await rawSession(server.ports.c2s_tls, 'erin', 'erin-pw', 'chatty');
  for (let i = 0; i < 8; i++) {
    erin.write(`<iq type='get' id='k${i}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await settle(INTERVAL_S * 1000 * 0.4);
  }
  assert.doesNotMatch(erin.text(), /id=["']ping-/);
  assert.doesNotMatch(erin.text(), /<stream:error/);
  erin.end();
});

test('bad options stop the start with a message naming them', async () => {
  await assert.rejects(
    startServer({ modules: { mod_ping: { ping_interval: 0 } }, env: { TROUPE_LOGLEVEL: 'fatal' } }),
    /modules\.mod_ping\.ping_interval/,
  );
  await assert.rejects(
    startServer({ modules: { mod_ping: { timeout_action: 'explode' } }, env: { TROUPE_LOGLEVEL: 'fatal' } }),
    /modules\.mod_ping\.timeout_action/,
  );
});
