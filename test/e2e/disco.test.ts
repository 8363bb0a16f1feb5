/**
 * XEP-0030 service discovery end to end: the server's identity and features are exactly what
 * its modules run (disable one in troupe.yml, its feature goes), items, nodes nobody knows,
 * and accounts (bare JIDs) answered by the server for the user and its contacts only.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { startServer, type TestServer } from '../support/server.js';
import { xml, type TestClient } from '../support/xmpp.js';
import { approveSubscription, condition, iq, login, online, register } from '../support/im.js';

const NS_INFO = 'http://jabber.org/protocol/disco#info';
const NS_ITEMS = 'http://jabber.org/protocol/disco#items';
const MINE = ['urn:xmpp:ping', 'jabber:iq:version', 'jabber:iq:last'];

let server: TestServer;
let reduced: TestServer;

before(async () => {
  [server, reduced] = await Promise.all([startServer(), startServer({ modules: { mod_ping: false, mod_version: false, mod_last: false } })]);
  await register(server, 'alice', 'bob', 'carol');
  await register(reduced, 'alice');
});

after(async () => {
  await Promise.all([server?.stop(), reduced?.stop()]);
});

const features = (result: Element): string[] => (result.getChild('query', NS_INFO)?.getChildren('feature') ?? []).map((f) => f.attrs.var as string);
const info = (c: TestClient, to?: string, node?: string) => iq(c, 'get', xml('query', { xmlns: NS_INFO, node }), to);
const items = (c: TestClient, to?: string, node?: string) => iq(c, 'get', xml('query', { xmlns: NS_ITEMS, node }), to);

test('the server: identity server/im named Troupe; features from the running modules', async () => {
  const alice = await login(server, 'alice', 'desk');
  const result = await info(alice, 'localhost');
  assert.equal(result.attrs.type, 'result');
  const identities = result.getChild('query', NS_INFO)?.getChildren('identity') ?? [];
  assert.deepEqual(identities.map((i) => [i.attrs.category, i.attrs.type, i.attrs.name]), [['server', 'im', 'Troupe']]);
  const list = features(result);
  for (const f of [NS_INFO, NS_ITEMS, ...MINE, 'jabber:iq:roster', 'jabber:iq:register']) assert.ok(list.includes(f), `${f} advertised`);
  assert.equal(new Set(list).size, list.length, 'each feature once');
  assert.deepEqual(list, [...list].sort());
  await alice.stop();
});

test('a module disabled in troupe.yml: exactly its features disappear, and its IQs are unanswered', async () => {
  const [full, less] = await Promise.all([login(server, 'alice', 'cmp'), login(reduced, 'alice', 'cmp')]);
  const all = features(await info(full, 'localhost'));
  const some = features(await info(less, 'localhost'));
  assert.deepEqual(all.filter((f) => !some.includes(f)).sort(), [...MINE].sort());
  assert.deepEqual(some.filter((f) => !all.includes(f)), []);
  for (const ns of MINE) {
    const answer = await iq(less, 'get', xml(ns === 'urn:xmpp:ping' ? 'ping' : 'query', { xmlns: ns }), 'localhost');
    assert.equal(condition(answer), 'service-unavailable', `${ns} is not served`);
  }
  await Promise.all([full.stop(), less.stop()]);
});

test('server items: the MUC service only; a node nobody knows → item-not-found; set → not-allowed; not <query/> → bad-request', async () => {
  const alice = await login(server, 'alice', 'bad');
  const result = await items(alice, 'localhost');
  assert.equal(result.attrs.type, 'result');
  assert.deepEqual(result.getChild('query', NS_ITEMS)?.getChildren('item').map((i) => i.attrs.jid), ['conference.localhost']);
  assert.equal(condition(await info(alice, 'localhost', 'urn:nobody#knows')), 'item-not-found');
  assert.equal(condition(await items(alice, 'localhost', 'urn:nobody#knows')), 'item-not-found');
  assert.equal(condition(await info(alice, 'alice@localhost', 'urn:nobody#knows')), 'item-not-found');
  assert.equal(condition(await iq(alice, 'set', xml('query', { xmlns: NS_INFO }), 'localhost')), 'not-allowed');
  assert.equal(condition(await iq(alice, 'get', xml('foo', { xmlns: NS_INFO }), 'localhost')), 'bad-request');
  await alice.stop();
});


test('an account: the user and its contacts get account/registered and its resources; a stranger subscription-required', async () => {
  const alice = await online(server, 'alice', 'home');
  const bob = await online(server, 'bob', 'home');
  const carol = await online(server, 'carol', 'home');
  // bob subscribes to alice: alice's roster then has bob with subscription 'from'.
  await approveSubscription(bob, 'bob@localhost', alice, 'alice@localhost');

  for (const asker of [alice, bob]) {
    const result = await info(asker, 'alice@localhost');
    assert.equal(result.attrs.type, 'result');
    const identity = result.getChild('query', NS_INFO)?.getChild('identity');
    assert.deepEqual([identity?.attrs.category, identity?.attrs.type], ['account', 'registered']);
    assert.ok(features(result).includes(NS_INFO));
    const list = await items(asker, 'alice@localhost');
    assert.deepEqual(list.getChild('query', NS_ITEMS)?.getChildren('item').map((i) => i.attrs.jid), ['alice@localhost/home']);
  }
  assert.equal(condition(await info(carol, 'alice@localhost')), 'subscription-required');
  assert.equal(condition(await items(carol, 'alice@localhost')), 'subscription-required');
  assert.equal(condition(await info(carol, 'nobody@localhost')), 'subscription-required', 'no hint that an account does not exist');
  await Promise.all([alice.stop(), bob.stop(), carol.stop()]);
});
