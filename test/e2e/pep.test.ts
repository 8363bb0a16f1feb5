/**
 * mod_pep end to end (XEP-0163): alice's resources share her XEP-0402 bookmarks through
 * notifications; her avatar (XEP-0084) and nickname (XEP-0172) reach the contacts subscribed
 * to her presence whose caps ask for them (+notify), and nobody else; publish-options set and
 * check a node's configuration; a new session gets the last item of what it asks for; XEP-0048
 * bookmarks stay in step between private storage and PEP (XEP-0411); the items survive a restart.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { startServer, type TestServer } from '../support/server.js';
import { xml, type TestClient } from '../support/xmpp.js';
import { approveSubscription, condition, iq, login, online, register, settle } from '../support/im.js';
import { advertiseCaps } from '../support/caps.js';

const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
const NS_EVENT = 'http://jabber.org/protocol/pubsub#event';
const NS_ERRORS = 'http://jabber.org/protocol/pubsub#errors';
const BOOKMARKS = 'urn:xmpp:bookmarks:1';
const METADATA = 'urn:xmpp:avatar:metadata';
const NICK = 'http://jabber.org/protocol/nick';

let server: TestServer;
let alice1: TestClient;
let alice2: TestClient;
let bob: TestClient;
let carol: TestClient;

before(async () => {
  server = await startServer();
  await register(server, 'alice', 'bob', 'carol', 'dave');
  alice1 = await online(server, 'alice', 'one');
  alice2 = await online(server, 'alice', 'two');
  bob = await online(server, 'bob', 'phone');
  carol = await online(server, 'carol', 'desk');
  await approveSubscription(bob, 'bob@localhost', alice1, 'alice@localhost');
  await approveSubscription(carol, 'carol@localhost', alice1, 'alice@localhost');
  const wanted = [BOOKMARKS, METADATA, NICK].map((n) => `${n}+notify`);
  await advertiseCaps(alice1, wanted);
  await advertiseCaps(alice2, wanted);
  await advertiseCaps(bob, wanted);
  await advertiseCaps(carol, [`${NICK}+notify`]); // no avatar, no bookmarks
});

after(async () => {
  for (const c of [alice1, alice2, bob, carol]) await c?.stop();
  await server?.stop();
});

function options(fields: Record<string, string>): Element {
  return xml('publish-options', {}, xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'http://jabber.org/protocol/pubsub#publish-options')),
    ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v)))));
}

/** XEP-0402 §3.1: publish-options every bookmarks publish carries. */
const BOOKMARK_OPTIONS = {
  'pubsub#persist_items': 'true', 'pubsub#max_items': 'max', 'pubsub#send_last_published_item': 'never', 'pubsub#access_model': 'whitelist',
};

function publish(c: TestClient, node: string, id: string | undefined, payload: Element, opts?: Record<string, string>): Promise<Element> {
  return iq(c, 'set', xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node }, xml('item', id ? { id } : {}, payload)), ...(opts ? [options(opts)] : [])));
}

const bookmark = (name: string) => xml('conference', { xmlns: BOOKMARKS, name, autojoin: 'true' }, xml('nick', {}, 'Al'));
const getItems = (c: TestClient, node: string, to = 'alice@localhost') => iq(c, 'get', xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node })), to);
const itemIds = (result: Element): string[] => (result.getChild('pubsub', NS_PUBSUB)?.getChild('items')?.getChildren('item') ?? []).map((i) => i.attrs.id as string);

const isEvent = (node: string, from = 'alice@localhost') => (el: Element): boolean =>
  el.is('message') && el.attrs.from === from && el.getChild('event', NS_EVENT)?.getChild('items')?.attrs.node === node;
const eventItem = (el: Element): Element | undefined => el.getChild('event', NS_EVENT)?.getChild('items')?.getChild('item');
const appCondition = (el: Element): string | undefined => el.getChild('error')?.getChildElements().find((c) => c.getNS() === NS_ERRORS)?.name;

test('a bookmark published from one resource reaches the other, and the node keeps them all', async () => {
  const published = await publish(alice1, BOOKMARKS, 'elsinore@conference.localhost', bookmark('Elsinore'), BOOKMARK_OPTIONS);
  assert.equal(published.attrs.type, 'result', published.toString());
  const event = await alice2.next(isEvent(BOOKMARKS));
  assert.equal(event.attrs.type, 'headline');
  assert.equal(eventItem(event)?.attrs.id, 'elsinore@conference.localhost');
  assert.equal(eventItem(event)?.getChild('conference', BOOKMARKS)?.attrs.name, 'Elsinore');
  await alice1.next(isEvent(BOOKMARKS)); // the publishing resource too

  assert.equal((await publish(alice2, BOOKMARKS, 'globe@conference.localhost', bookmark('Globe'), BOOKMARK_OPTIONS)).attrs.type, 'result');
  assert.equal(eventItem(await alice1.next(isEvent(BOOKMARKS)))?.attrs.id, 'globe@conference.localhost');
  assert.deepEqual(itemIds(await getItems(alice2, BOOKMARKS)), ['elsinore@conference.localhost', 'globe@conference.localhost']);

  // whitelist: bob, subscribed and asking for +notify, is told nothing and may not read them
  await settle(300);
  assert.equal(bob.received.filter(isEvent(BOOKMARKS)).length, 0);
  const denied = await getItems(bob, BOOKMARKS);
  assert.equal(condition(denied), 'not-allowed');
  assert.equal(appCondition(denied), 'closed-node');
});

test('a retracted bookmark is notified and gone', async () => {
  const retract = xml('pubsub', { xmlns: NS_PUBSUB }, xml('retract', { node: BOOKMARKS, notify: 'true' }, xml('item', { id: 'globe@conference.localhost' })));
  assert.equal((await iq(alice1, 'set', retract)).attrs.type, 'result');
  const event = await alice2.next((el) => el.is('message') && !!el.getChild('event', NS_EVENT)?.getChild('items')?.getChild('retract'));
  assert.equal(event.getChild('event', NS_EVENT)?.getChild('items')?.getChild('retract')?.attrs.id, 'globe@conference.localhost');
  assert.deepEqual(itemIds(await getItems(alice1, BOOKMARKS)), ['elsinore@conference.localhost']);
  assert.equal(condition(await iq(alice1, 'set', retract)), 'item-not-found');
});

test('an avatar reaches the contact whose caps ask for it, not the one whose caps do not', async () => {
  const metadata = xml('metadata', { xmlns: METADATA }, xml('info', { id: 'abc123', bytes: '12', type: 'image/png' }));
  const published = await publish(alice1, METADATA, 'abc123', metadata);
  assert.equal(published.attrs.type, 'result');
  const event = await bob.next(isEvent(METADATA));
  assert.equal(eventItem(event)?.getChild('metadata', METADATA)?.getChild('info')?.attrs.id, 'abc123');
  assert.equal(event.attrs.to, 'bob@localhost/phone');
  await settle(300);
  assert.equal(carol.received.filter(isEvent(METADATA)).length, 0, 'carol has no avatar+notify');
  // presence access: a subscribed contact may read; dave, not subscribed, may not
  assert.deepEqual(itemIds(await getItems(carol, METADATA)), ['abc123']);
  const dave = await login(server, 'dave', 'x');
  const denied = await getItems(dave, METADATA);
  assert.equal(condition(denied), 'not-authorized');
  assert.equal(appCondition(denied), 'presence-subscription-required');
  assert.equal(condition(await publish(dave, METADATA, 'x', metadata, undefined)), null, 'dave publishes on his own account');
  const forbidden = await iq(dave, 'set', xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node: METADATA }, xml('item', {}, metadata))), 'alice@localhost');
  assert.equal(condition(forbidden), 'forbidden');
  await dave.stop();
});

test('a nickname: one item kept by default, the item id made by the server, carol notified', async () => {
  for (const name of ['Ally', 'Alice']) {
    const result = await publish(alice1, NICK, undefined, xml('nick', { xmlns: NICK }, name));
    assert.ok(result.getChild('pubsub', NS_PUBSUB)?.getChild('publish')?.getChild('item')?.attrs.id, 'the generated id is returned');
    assert.equal(eventItem(await carol.next(isEvent(NICK)))?.getChildText('nick', NICK), name);
  }
  const items = await getItems(bob, NICK);
  assert.equal(itemIds(items).length, 1, 'max_items 1 by default');
  assert.equal(items.getChild('pubsub', NS_PUBSUB)?.getChild('items')?.getChild('item')?.getChildText('nick', NICK), 'Alice');
});

test('publish-options: a node that does not have them refuses the publish; new nodes take them', async () => {
  const clash = await publish(alice1, BOOKMARKS, 'x@conference.localhost', bookmark('X'), { ...BOOKMARK_OPTIONS, 'pubsub#access_model': 'open' });
  assert.equal(condition(clash), 'conflict');
  assert.equal(appCondition(clash), 'precondition-not-met');
  const unknown = await publish(alice1, BOOKMARKS, 'x@conference.localhost', bookmark('X'), { 'pubsub#frobnicate': '1' });
  assert.equal(appCondition(unknown), 'precondition-not-met');
  assert.deepEqual(itemIds(await getItems(alice1, BOOKMARKS)), ['elsinore@conference.localhost'], 'nothing published');

  // XEP-0223 private storage: whitelist, persisted, several items
  const node = 'urn:troupe:test:private';
  const opts = { 'pubsub#access_model': 'whitelist', 'pubsub#persist_items': '1', 'pubsub#max_items': '2' };
  for (const id of ['a', 'b', 'c']) assert.equal((await publish(alice1, node, id, xml('p', { xmlns: node }, id), opts)).attrs.type, 'result');
  assert.deepEqual(itemIds(await getItems(alice1, node)), ['b', 'c'], 'max_items 2: the oldest went');
  assert.equal(condition(await getItems(bob, node)), 'not-allowed');
  // persist_items false: notified, not kept
  const transient = 'urn:troupe:test:transient';
  assert.equal((await publish(alice1, transient, 't', xml('t', { xmlns: transient }), { 'pubsub#persist_items': 'false' })).attrs.type, 'result');
  assert.deepEqual(itemIds(await getItems(alice1, transient)), []);
  assert.equal(condition(await publish(alice1, node, 'd', xml('p', { xmlns: node }), { 'pubsub#max_items': '100000' })), 'conflict');
});

test("a new session of a contact gets the last avatar; the account's disco shows PEP", async () => {
  const phone2 = await online(server, 'bob', 'tablet');
  await advertiseCaps(phone2, [`${METADATA}+notify`]);
  const last = await phone2.next(isEvent(METADATA));
  assert.equal(eventItem(last)?.attrs.id, 'abc123');
  await settle(200);
  assert.equal(phone2.received.filter(isEvent(BOOKMARKS)).length, 0);
  await phone2.stop();

  const info = await iq(alice1, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), 'alice@localhost');
  const query = info.getChild('query') as Element;
  assert.ok(query.getChildren('identity').some((i) => i.attrs.category === 'pubsub' && i.attrs.type === 'pep'));
  const features = query.getChildren('feature').map((f) => f.attrs.var);
  assert.ok(features.includes(`${NS_PUBSUB}#publish-options`));
  const items = await iq(alice1, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }), 'alice@localhost');
  const nodes = (items.getChild('query')?.getChildren('item') ?? []).map((i) => i.attrs.node).filter(Boolean);
  assert.ok(nodes.includes(BOOKMARKS) && nodes.includes(METADATA), nodes.join(' '));
});

test('XEP-0411: XEP-0048 bookmarks stored with XEP-0049 appear in PEP, and back', async () => {
  const NS_PRIVATE = 'jabber:iq:private';
  const storage = (room: string) => xml('storage', { xmlns: 'storage:bookmarks' }, xml('conference', { jid: room, autojoin: 'true' }));
  assert.equal((await iq(alice1, 'set', xml('query', { xmlns: NS_PRIVATE }, storage('a@conference.localhost')))).attrs.type, 'result');
  const pep = await getItems(alice1, 'storage:bookmarks');
  assert.deepEqual(itemIds(pep), ['current']);
  assert.equal(pep.getChild('pubsub', NS_PUBSUB)?.getChild('items')?.getChild('item')?.getChild('storage', 'storage:bookmarks')?.getChild('conference')?.attrs.jid, 'a@conference.localhost');
  assert.equal(condition(await getItems(bob, 'storage:bookmarks')), 'not-allowed', 'whitelist, as XEP-0223 asks');

  assert.equal((await publish(alice2, 'storage:bookmarks', 'current', storage('b@conference.localhost'))).attrs.type, 'result');
  const fromPrivate = await iq(alice1, 'get', xml('query', { xmlns: NS_PRIVATE }, xml('storage', { xmlns: 'storage:bookmarks' })));
  assert.equal(fromPrivate.getChild('query', NS_PRIVATE)?.getChild('storage', 'storage:bookmarks')?.getChild('conference')?.attrs.jid, 'b@conference.localhost');
  const info = await iq(alice1, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), 'alice@localhost');
  assert.ok(info.getChild('query')?.getChildren('feature').some((f) => f.attrs.var === 'urn:xmpp:bookmarks-conversion:0'));
});

test('items persist across a restart', async () => {
  for (const c of [alice1, alice2, bob, carol]) await c.stop();
  await server.stop();
  server = await startServer({ reuseDir: server.dir });
  alice1 = await login(server, 'alice', 'again');
  assert.deepEqual(itemIds(await getItems(alice1, BOOKMARKS)), ['elsinore@conference.localhost']);
  const config = await iq(alice1, 'get', xml('pubsub', { xmlns: `${NS_PUBSUB}#owner` }, xml('configure', { node: BOOKMARKS })));
  const fields = config.getChild('pubsub')?.getChild('configure')?.getChild('x')?.getChildren('field') ?? [];
  assert.equal(fields.find((f) => f.attrs.var === 'pubsub#access_model')?.getChildText('value'), 'whitelist');
  assert.equal(fields.find((f) => f.attrs.var === 'pubsub#max_items')?.getChildText('value'), '1000');
});
