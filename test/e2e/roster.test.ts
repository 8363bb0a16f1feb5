/**
 * mod_roster end to end (RFC 6121 §2, XEP-0237): the seed's roster set, pushes to interested
 * resources, restart, removal, every validation case of §2.3.3 / §2.5.3, versioning.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../support/server.js';
import { rawSession, xml } from '../support/xmpp.js';
import { condition, iq, isPush, items, login, NS_ROSTER, pushedItem, register, rosterGet, rosterSet, settle } from '../support/im.js';

let server: TestServer;

before(async () => {
  server = await startServer();
  await register(server, 'alice', 'bob', 'carol', 'dave');
});

after(async () => {
  await server?.stop();
});

test("the seed's roster set: a result, a push to both interested resources, and it survives a restart", async () => {
  const desk = await login(server, 'alice', 'desk');
  const phone = await login(server, 'alice', 'phone');
  const idle = await login(server, 'alice', 'idle'); // never asks for the roster: no pushes (§2.2)
  await rosterGet(desk);
  await rosterGet(phone);
  // Exactly the article's stanza: no 'to', one item with a name and the group Friends.
  const answer = desk.next((el) => el.is('iq') && el.attrs.id === 'M8QF3-52');
  await desk.xmpp.send(
    xml('iq', { id: 'M8QF3-52', type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'bob@localhost', name: 'Bob' }, xml('group', {}, 'Friends')))),
  );
  assert.equal((await answer).attrs.type, 'result');
  for (const c of [desk, phone]) {
    const push = await c.next(isPush('bob@localhost'));
    assert.equal(push.attrs.from ?? 'alice@localhost', 'alice@localhost');
    const item = pushedItem(push);
    assert.equal(item.attrs.name, 'Bob');
    assert.equal(item.attrs.subscription, 'none');
    assert.deepEqual(item.getChildren('group').map((g) => g.getText()), ['Friends']);
    assert.ok(push.getChild('query', NS_ROSTER)?.attrs.ver, 'pushes carry the version');
  }
  await settle();
  assert.ok(!idle.received.some(isPush()), 'a resource that never requested the roster gets no push');
  await Promise.all([desk.stop(), phone.stop(), idle.stop()]);

  await server.stop();
  server = await startServer({ reuseDir: server.dir });
  const again = await login(server, 'alice', 'desk');
  const bob = items(await rosterGet(again)).get('bob@localhost');
  assert.ok(bob, 'the item survived the restart');
  assert.equal(bob.attrs.name, 'Bob');
  assert.deepEqual(bob.getChildren('group').map((g) => g.getText()), ['Friends']);
  await again.stop();
});

test('remove (§2.5): a push with subscription=remove; removing it again is item-not-found', async () => {
  const a = await login(server, 'carol', 'desk');
  await rosterGet(a);
  assert.equal((await rosterSet(a, { jid: 'dave@localhost', name: 'Dave' })).attrs.type, 'result');
  await a.next(isPush('dave@localhost'));
  assert.equal((await rosterSet(a, { jid: 'dave@localhost', subscription: 'remove' })).attrs.type, 'result');
  const push = await a.next(isPush('dave@localhost'));
  assert.equal(pushedItem(push).attrs.subscription, 'remove');
  assert.ok(!items(await rosterGet(a)).has('dave@localhost'));
  const again = await rosterSet(a, { jid: 'dave@localhost', subscription: 'remove' });
  assert.equal(condition(again), 'item-not-found');
  await a.stop();
});

test('update (§2.4): name and groups are replaced, the subscription is the server’s', async () => {
  const a = await login(server, 'carol', 'upd');
  await rosterGet(a);
  await rosterSet(a, { jid: 'alice@localhost', name: 'Al' }, ['A', 'B']);
  // A client may not set the subscription nor 'ask' (§2.1.2.5, §2.1.2.1): the server ignores them.
  const r = await rosterSet(a, { jid: 'alice@localhost', name: 'Alice', subscription: 'both', ask: 'subscribe' }, ['C']);
  assert.equal(r.attrs.type, 'result');
  const item = items(await rosterGet(a)).get('alice@localhost') as NonNullable<ReturnType<ReturnType<typeof items>['get']>>;
  assert.equal(item.attrs.name, 'Alice');
  assert.equal(item.attrs.subscription, 'none');
  assert.equal(item.attrs.ask, undefined);
  assert.deepEqual(item.getChildren('group').map((g) => g.getText()), ['C']);
  await a.stop();
});

const long = 'é'.repeat(512); // 1024 bytes of UTF-8, one past the limit

for (const [name, query, expected] of [
  ['two items', xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'x@localhost' }), xml('item', { jid: 'y@localhost' })), 'bad-request'],
  ['no item', xml('query', { xmlns: NS_ROSTER }), 'bad-request'],
  ['an item without jid', xml('query', { xmlns: NS_ROSTER }, xml('item', { name: 'n' })), 'bad-request'],
  ['a malformed jid', xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'a@b@c' })), 'jid-malformed'],
  ['duplicate groups', xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'x@localhost' }, xml('group', {}, 'G'), xml('group', {}, 'G'))), 'bad-request'],
  ['an empty group', xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'x@localhost' }, xml('group', {}))), 'not-acceptable'],
  ['an over-long group', xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'x@localhost' }, xml('group', {}, long))), 'not-acceptable'],
  ['an over-long name', xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'x@localhost', name: long })), 'not-acceptable'],
  ['an unknown subscription value', xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'x@localhost', subscription: 'sideways' })), 'bad-request'],
  ['an invalid ask value', xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'x@localhost', ask: 'please' })), 'bad-request'],
] as const) {
  test(`roster set with ${name} → ${expected} (§2.3.3), nothing stored`, async () => {
    const a = await login(server, 'dave', `v${Math.random().toString(36).slice(2, 8)}`);
    const before = (await rosterGet(a)).getChild('query', NS_ROSTER)?.attrs.ver;
    const answer = await iq(a, 'set', query);
    assert.equal(answer.attrs.type, 'error');
    assert.equal(condition(answer), expected);
    assert.equal((await rosterGet(a)).getChild('query', NS_ROSTER)?.attrs.ver, before, 'the version did not move');
    await a.stop();
  });
}

test("another user's roster: set and get are forbidden (§2.3.3, §2.1.5)", async () => {
  const a = await login(server, 'dave', 'nosy');
  const set = await rosterSet(a, { jid: 'dave@localhost', name: 'me' }, [], 'alice@localhost');
  assert.equal(condition(set), 'forbidden');
  const get = await iq(a, 'get', xml('query', { xmlns: NS_ROSTER }), 'alice@localhost');
  assert.equal(condition(get), 'forbidden');
  await a.stop();
});

test('versioning (XEP-0237): the feature, ver in results and pushes, an empty result when current', async () => {
  const r = await rawSession(server.ports.c2s_tls, 'bob', 'bob-pw', 'raw');
  assert.match(r.text(), /<ver xmlns=['"]urn:xmpp:features:rosterver['"]/);
  r.end();
  const b = await login(server, 'bob', 'ver');
  const first = await rosterGet(b, '');
  const v1 = first.getChild('query', NS_ROSTER)?.attrs.ver as string;
  assert.ok(v1 !== undefined);
  const current = await rosterGet(b, v1);
  assert.equal(current.attrs.type, 'result');
  assert.equal(current.getChildElements().length, 0, 'roster unchanged: an empty result');
  await rosterSet(b, { jid: 'carol@localhost' });
  const push = await b.next(isPush('carol@localhost'));
  const v2 = push.getChild('query', NS_ROSTER)?.attrs.ver as string;
  assert.ok(Number(v2) > Number(v1), 'the version grows');
  const stale = await rosterGet(b, v1);
  assert.equal(stale.getChild('query', NS_ROSTER)?.attrs.ver, v2);
  assert.ok(items(stale).has('carol@localhost'));
  assert.equal((await rosterGet(b, v2)).getChildElements().length, 0);
  await b.stop();
});
