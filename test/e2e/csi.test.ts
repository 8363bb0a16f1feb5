/**
 * XEP-0352 Client State Indication end to end. Alice's phone goes inactive: messages and IQs
 * still reach it at once, presence (directed presence here, which needs no subscription) waits
 * until `<active/>`, merged to the latest per contact resource and stamped with a delay. A
 * message with a body brings the held presences first; any other stanza, those of its sender;
 * more held senders than `queue_presence_limit` (2 here) deliver the queue.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { startServer, type TestServer } from '../support/server.js';
import { raw, streamOpen, xml, type RawClient, type TestClient } from '../support/xmpp.js';
import { iq, login, register, settle } from '../support/im.js';

const NS_CSI = 'urn:xmpp:csi:0';
const NS_DELAY = 'urn:xmpp:delay';
const NS_PING = 'urn:xmpp:ping';

let server: TestServer;
const clients: TestClient[] = [];

before(async () => {
  server = await startServer({ modules: { mod_client_state: { queue_presence_limit: 2 } } });
  await register(server, 'alice', 'bob', 'carol');
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
});

after(async () => {
  await server?.stop();
});

async function client(user: string, resource: string): Promise<TestClient> {
  const c = await login(server, user, resource);
  clients.push(c);
  return c;
}

/** The server has read everything `c` sent before (its c2s reads in order). */
const synced = async (c: TestClient): Promise<void> => void (await iq(c, 'get', xml('ping', { xmlns: NS_PING }), 'localhost'));

/** Alice's phone, available, then inactive; `order` lists what it receives as `name:from:detail`. */
async function inactivePhone(resource: string): Promise<{ phone: TestClient; order: string[]; jid: string }> {
  const phone = await client('alice', resource);
  const jid = `alice@localhost/${resource}`;
  await phone.xmpp.send(xml('presence'));
  await phone.next((el) => el.is('presence') && el.attrs.from === jid);
  await phone.xmpp.send(xml('inactive', { xmlns: NS_CSI }));
  await synced(phone);
  const order: string[] = [];
  phone.xmpp.on('stanza', (el: Element) => order.push(`${el.name}:${el.attrs.from}:${el.getChildText('status') ?? el.getChildText('body') ?? el.getChildElements()[0]?.name ?? ''}`));
  return { phone, order, jid };
}

async function presence(from: TestClient, to: string, status: string): Promise<void> {
  await from.xmpp.send(xml('presence', { to }, xml('status', {}, status)));
  await synced(from);
}

const presences = (order: string[]): string[] => order.filter((o) => o.startsWith('presence:'));

test('<csi/> is a stream feature after authentication, not before (§4)', async () => {
  const c = await authenticated('alice');
  const [before, after] = c.text().split('</stream:features>');
  assert.doesNotMatch(before as string, /urn:xmpp:csi:0/);
  assert.match(after as string, /<csi xmlns=["']urn:xmpp:csi:0["']\/>/);
  c.end();
});

test('inactive: a message and an IQ at once, presence only after <active/>, the latest per contact', async () => {
  const { phone, order, jid } = await inactivePhone('p1');
  const [bob1, bob2, carol] = await Promise.all([client('bob', 'b1'), client('bob', 'b2'), client('carol', 'c1')]);
  await carol.xmpp.send(xml('message', { to: jid, type: 'chat' }, xml('body', {}, 'at once')));
  await phone.next((el) => el.is('message') && el.getChildText('body') === 'at once');
  await presence(bob1, jid, 'one');
  await presence(bob1, jid, 'two');
  await presence(bob2, jid, 'b2');
  await carol.xmpp.send(xml('message', { to: jid, type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
  await phone.next((el) => el.is('message') && el.getChild('composing') !== undefined);
  const answer = await iq(carol, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), jid);
  assert.ok(['result', 'error'].includes(answer.attrs.type as string), 'the IQ reached the client, which answered');
  await settle();
  assert.deepEqual(presences(order), [], 'no presence while inactive');

  await phone.xmpp.send(xml('active', { xmlns: NS_CSI }));
  const latest = await phone.next((el) => el.is('presence') && el.attrs.from === 'bob@localhost/b2');
  assert.equal(latest.getChild('delay', NS_DELAY)?.attrs.from, 'localhost', 'stamped with when it was held (XEP-0203)');
  await settle();
  assert.deepEqual(presences(order), ['presence:bob@localhost/b1:two', 'presence:bob@localhost/b2:b2'], 'merged, in order');
});

test('a message with a body brings every held presence first', async () => {
  const { phone, order, jid } = await inactivePhone('p2');
  const [bob, carol] = await Promise.all([client('bob', 'b1'), client('carol', 'c1')]);
  await presence(bob, jid, 'three');
  await carol.xmpp.send(xml('message', { to: jid, type: 'chat' }, xml('body', {}, 'wake up')));
  await phone.next((el) => el.is('message') && el.getChildText('body') === 'wake up');
  assert.deepEqual(order, ['presence:bob@localhost/b1:three', 'message:carol@localhost/c1:wake up']);
  await presence(bob, jid, 'four');
  await settle();
  assert.deepEqual(presences(order), ['presence:bob@localhost/b1:three'], 'still inactive: held again');
});

test("any other stanza brings its sender's held presences first, and only those", async () => {
  const { phone, order, jid } = await inactivePhone('p3');
  const [bob, carol] = await Promise.all([client('bob', 'b1'), client('carol', 'c1')]);
  await presence(bob, jid, 'five');
  await presence(carol, jid, 'carol here');
  await bob.xmpp.send(xml('message', { to: jid, type: 'chat' }, xml('paused', { xmlns: 'http://jabber.org/protocol/chatstates' })));
  await phone.next((el) => el.is('message') && el.getChild('paused') !== undefined);
  await settle();
  assert.deepEqual(order, ['presence:bob@localhost/b1:five', 'message:bob@localhost/b1:paused']);
  await phone.xmpp.send(xml('active', { xmlns: NS_CSI }));
  await phone.next((el) => el.is('presence') && el.attrs.from === 'carol@localhost/c1');
  assert.deepEqual(presences(order), ['presence:bob@localhost/b1:five', 'presence:carol@localhost/c1:carol here']);
});

test('past queue_presence_limit senders the queue is delivered, and holding goes on', async () => {
  const { phone, order, jid } = await inactivePhone('p4');
  const [bob1, bob2, carol] = await Promise.all([client('bob', 'b1'), client('bob', 'b2'), client('carol', 'c1')]);
  await presence(bob1, jid, 'x1');
  await presence(bob2, jid, 'x2');
  await presence(bob1, jid, 'x1 again'); // the same sender: no new place taken
  await settle();
  assert.deepEqual(presences(order), []);
  await presence(carol, jid, 'third sender');
  await phone.next((el) => el.is('presence') && el.attrs.from === 'bob@localhost/b1');
  await settle();
  assert.deepEqual(presences(order), ['presence:bob@localhost/b2:x2', 'presence:bob@localhost/b1:x1 again']);
  await phone.xmpp.send(xml('active', { xmlns: NS_CSI }));
  await phone.next((el) => el.is('presence') && el.attrs.from === 'carol@localhost/c1');
  await phone.xmpp.send(xml('inactive', { xmlns: NS_CSI }));
  await synced(phone);
  await presence(carol, jid, 'later');
  await settle();
  assert.equal(presences(order).length, 3, 'inactive again: held again');
});

test('bad input: CSI before binding a resource, an unknown CSI element', async () => {
  const unbound = await authenticated('alice');
  unbound.write(`<inactive xmlns='${NS_CSI}'/>`);
  assert.match(await unbound.read((t) => t.includes('</stream:stream>')), /<not-authorized/);
  unbound.end();
  const phone = await client('alice', 'p5');
  const streamError = new Promise<Element>((resolve) => phone.xmpp.on('element', (el: Element) => el.name.endsWith('error') && resolve(el)));
  await phone.xmpp.send(xml('sleepy', { xmlns: NS_CSI }));
  assert.ok((await streamError).getChild('unsupported-stanza-type'), 'not a CSI element: the c2s ends the stream');
});

/** A raw TLS stream, authenticated (PLAIN) and restarted, before resource binding. */
async function authenticated(user: string): Promise<RawClient> {
  const c = await raw(server.ports.c2s_tls);
  c.write(streamOpen());
  await c.read((t) => t.includes('</stream:features>'));
  c.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0${user}-pw`).toString('base64')}</auth>`);
  await c.read((t) => t.includes('<success'));
  c.write(streamOpen());
  await c.read((t) => (t.match(/<\/stream:features>/g) ?? []).length >= 2);
  return c;
}
