/**
 * XEP-0280 Message Carbons end to end: Romeo (here alice) on several devices sees both sides of
 * every conversation on each device that enabled Carbons: what another device sent (§8), what
 * another device received (§7), once; nothing when disabled or with `<private/>` (§9); a
 * session may only enable its own Carbons (§4.1).
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { startServer, type TestServer } from '../support/server.js';
import { xml, type TestClient } from '../support/xmpp.js';
import { condition, iq, login, register, settle } from '../support/im.js';

const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_FORWARD = 'urn:xmpp:forward:0';

let server: TestServer;

before(async () => {
  server = await startServer();
  await register(server, 'alice', 'bob');
});

/** Every client of a test, stopped after it even when it fails (a client left running reconnects forever). */
const clients: TestClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
});

after(async () => {
  await server?.stop();
});

/** Logs in and sends available presence with `priority`; enables Carbons unless told not to. */
async function device(user: string, resource: string, priority = 0, carbons = true): Promise<TestClient> {
  const c = await login(server, user, resource);
  clients.push(c);
  await c.xmpp.send(xml('presence', {}, xml('priority', {}, String(priority))));
  if (carbons) assert.equal((await iq(c, 'set', xml('enable', { xmlns: NS_CARBONS }))).attrs.type, 'result');
  return c;
}

/** The message inside a carbon copy (`sent` or `received`), if `el` is one from `bare`. */
function forwarded(el: Element, direction: 'sent' | 'received', bare: string): Element | undefined {
  if (!el.is('message') || el.attrs.from !== bare) return undefined;
  return el.getChild(direction, NS_CARBONS)?.getChild('forwarded', NS_FORWARD)?.getChild('message');
}

const carbonWith = (direction: 'sent' | 'received', body: string) => (el: Element): boolean =>
  forwarded(el, direction, 'alice@localhost')?.getChildText('body') === body;

const plain = (body: string) => (el: Element): boolean => el.is('message') && el.getChildText('body') === body;

const chat = (to: string, body: string, ...extra: Element[]): Element => xml('message', { to, type: 'chat' }, xml('body', {}, body), ...extra);

function count(c: TestClient, match: (el: Element) => boolean): number {
  return c.received.filter(match).length;
}

test('what one device sends is copied to the other, wrapped as sent (§8)', async () => {
  const [phone, laptop, bob] = await Promise.all([device('alice', 'phone'), device('alice', 'laptop'), device('bob', 'home', 0, false)]);
  await phone.xmpp.send(chat('bob@localhost/home', 'hello from the phone'));
  await bob.next(plain('hello from the phone'));
  const copy = await laptop.next(carbonWith('sent', 'hello from the phone'));
  assert.equal(copy.attrs.to, 'alice@localhost/laptop');
  assert.equal(copy.attrs.type, 'chat');
  const inner = forwarded(copy, 'sent', 'alice@localhost') as Element;
  assert.equal(inner.attrs.from, 'alice@localhost/phone');
  assert.equal(inner.attrs.to, 'bob@localhost/home');
  await settle();
  assert.equal(count(phone, carbonWith('sent', 'hello from the phone')), 0, 'the sender gets no copy of its own message');
  assert.equal(count(laptop, carbonWith('sent', 'hello from the phone')), 0, 'exactly one copy');
});

test('what one device receives at its full JID is copied to the other, wrapped as received (§7)', async () => {
  const [phone, laptop, bob] = await Promise.all([device('alice', 'phone'), device('alice', 'laptop'), device('bob', 'home', 0, false)]);
  await bob.xmpp.send(chat('alice@localhost/phone', 'for the phone'));
  await phone.next(plain('for the phone'));
  const copy = await laptop.next(carbonWith('received', 'for the phone'));
  assert.equal(copy.attrs.to, 'alice@localhost/laptop');
  assert.equal((forwarded(copy, 'received', 'alice@localhost') as Element).attrs.from, 'bob@localhost/home');
  await settle();
  assert.equal(count(phone, carbonWith('received', 'for the phone')), 0);
  assert.equal(count(laptop, plain('for the phone')), 0, 'the laptop gets the copy, not the message');
});

test('to the bare JID: the top-priority devices get the message, the others one copy each', async () => {
  const [phone, laptop, tablet, watch, bob] = await Promise.all([
    device('alice', 'phone', 5), device('alice', 'laptop', 5), device('alice', 'tablet', 1), device('alice', 'watch', -1),
    device('bob', 'home', 0, false),
  ]);
  await bob.xmpp.send(chat('alice@localhost', 'to all of alice'));
  await Promise.all([phone.next(plain('to all of alice')), laptop.next(plain('to all of alice'))]);
  await Promise.all([tablet.next(carbonWith('received', 'to all of alice')), watch.next(carbonWith('received', 'to all of alice'))]);
  await settle();
  assert.equal(count(phone, carbonWith('received', 'to all of alice')) + count(laptop, carbonWith('received', 'to all of alice')), 0,
    'who got the message gets no copy');
  assert.equal(count(tablet, carbonWith('received', 'to all of alice')), 0, 'one copy, not one per delivered session');
  assert.equal(count(watch, carbonWith('received', 'to all of alice')), 0);
});

test('no copies for a device that disabled Carbons, or never enabled them', async () => {
  const [phone, laptop, tablet, bob] = await Promise.all([
    device('alice', 'phone'), device('alice', 'laptop'), device('alice', 'tablet', 0, false), device('bob', 'home', 0, false),
  ]);
  assert.equal((await iq(laptop, 'set', xml('disable', { xmlns: NS_CARBONS }))).attrs.type, 'result');
  assert.equal((await iq(laptop, 'set', xml('disable', { xmlns: NS_CARBONS }))).attrs.type, 'result', 'disabling twice is no error (§10.1)');
  await phone.xmpp.send(chat('bob@localhost/home', 'not copied'));
  await bob.xmpp.send(chat('alice@localhost/phone', 'not copied either'));
  await Promise.all([bob.next(plain('not copied')), phone.next(plain('not copied either'))]);
  await settle();
  for (const c of [laptop, tablet]) assert.equal(c.received.filter((el) => el.is('message')).length, 0);
});

test('<private/>: no copies either way, and the recipient gets the message without it (§9)', async () => {
  const [phone, laptop, bob] = await Promise.all([device('alice', 'phone'), device('alice', 'laptop'), device('bob', 'home')]);
  const bobLaptop = await device('bob', 'laptop');
  await phone.xmpp.send(chat('bob@localhost/home', 'secret', xml('private', { xmlns: NS_CARBONS })));
  const delivered = await bob.next(plain('secret'));
  assert.equal(delivered.getChild('private', NS_CARBONS), undefined, 'removed before delivery');
  await bob.xmpp.send(chat('alice@localhost/phone', 'secret reply', xml('private', { xmlns: NS_CARBONS })));
  await phone.next(plain('secret reply'));
  await settle();
  assert.equal(laptop.received.filter((el) => el.is('message')).length, 0, 'nothing copied to the sender nor the recipient side');
  assert.equal(bobLaptop.received.filter((el) => el.is('message')).length, 0);
});

test("a normal message without a body is not copied; a chat state (type chat) is", async () => {
  const [phone, laptop] = await Promise.all([device('alice', 'phone'), device('alice', 'laptop'), device('bob', 'home', 0, false)]);
  await phone.xmpp.send(xml('message', { to: 'bob@localhost/home' }, xml('subject', {}, 'no body')));
  await phone.xmpp.send(xml('message', { to: 'bob@localhost/home', type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
  const state = await laptop.next((el) => forwarded(el, 'sent', 'alice@localhost')?.getChild('composing') !== undefined);
  assert.ok(state);
  await settle();
  assert.equal(laptop.received.filter((el) => el.is('message')).length, 0, 'only the chat state');
});

test('bad requests: another user\'s Carbons, a get, an unknown element', async () => {
  const [phone] = await Promise.all([device('alice', 'phone', 0, false), device('bob', 'home', 0, false)]);
  assert.equal(condition(await iq(phone, 'set', xml('enable', { xmlns: NS_CARBONS }), 'bob@localhost')), 'not-allowed');
  assert.equal(condition(await iq(phone, 'get', xml('enable', { xmlns: NS_CARBONS }))), 'not-allowed');
  assert.equal(condition(await iq(phone, 'set', xml('enabled', { xmlns: NS_CARBONS }))), 'bad-request');
});

test('the server advertises urn:xmpp:carbons:2 (§3)', async () => {
  const phone = await device('alice', 'phone', 0, false);
  const info = await iq(phone, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), 'localhost');
  assert.ok(info.getChild('query')?.getChildren('feature').some((f) => f.attrs.var === NS_CARBONS));
});
