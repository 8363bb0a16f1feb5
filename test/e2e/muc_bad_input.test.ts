/**
 * XEP-0045 bad input: malformed and blank nicknames (jid-malformed), bad admin items, bad
 * configuration forms, stanzas to rooms that do not exist, and a join flood against a room's
 * `max users` (§7.2.10: service-unavailable) from raw connections, while the room keeps
 * serving its members and still lets an admin in; the rooms one user may be in at once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rawSession, xml, type RawClient, type TestClient } from '../support/xmpp.js';
import { condition, iq } from '../support/im.js';
import { admin, codes, createRoom, Scene, groupchat, isGroupchat, join, joined, roomJid, NS_MUC, NS_MUC_ADMIN, NS_MUC_OWNER } from '../support/muc.js';

const scene = new Scene();
const raws: RawClient[] = [];
const user = (name: string): Promise<TestClient> => scene.user(name);

before(() => scene.start(['alice', 'bob', 'carol', 'dave', 'f1', 'f2', 'f3'], { modules: { mod_muc: { max_user_rooms: 3 } } }));
after(async () => {
  for (const r of raws) r.end();
  await scene.stop();
});

/** Sends `stanza` and resolves with the error answering it (same id). */
async function errorFor(c: TestClient, attrs: Record<string, string>, ...children: ReturnType<typeof xml>[]): Promise<string | null> {
  const id = `bad${Math.random().toString(36).slice(2)}`;
  const answer = c.next((el) => el.attrs.id === id && el.attrs.type === 'error');
  await c.xmpp.send(xml(attrs.name ?? 'presence', { ...attrs, name: undefined, id }, ...children));
  return condition(await answer);
}

test('nicknames: none, empty, blank or too long are jid-malformed; the room stays usable', async () => {
  const [alice, bob] = await Promise.all([user('alice'), user('bob')]);
  await createRoom(alice, 'names', 'Alice');
  const x = xml('x', { xmlns: NS_MUC });
  assert.equal(await errorFor(bob, { to: roomJid('names') }, x), 'jid-malformed', 'no nick (the bare room JID)');
  assert.equal(await errorFor(bob, { to: `${roomJid('names')}/` }, x), 'jid-malformed', 'empty resourcepart');
  assert.equal(await errorFor(bob, { to: `${roomJid('names')}/   ` }, x), 'jid-malformed', 'blank');
  assert.equal(await errorFor(bob, { to: `${roomJid('names')}/${'n'.repeat(129)}` }, x), 'jid-malformed', 'too long');
  assert.equal(await errorFor(bob, { to: `${roomJid('names')}/Alice` }, x), 'conflict', "alice's nick");
  await joined(bob, 'names', 'Bob');
  // A nick change to a malformed or taken nick is refused the same way; Bob stays Bob.
  assert.equal(await errorFor(bob, { to: `${roomJid('names')}/  ` }), 'jid-malformed');
  assert.equal(await errorFor(bob, { to: `${roomJid('names')}/Alice` }), 'conflict');
  await bob.xmpp.send(groupchat('names', 'still Bob'));
  assert.equal((await alice.next(isGroupchat('names', 'still Bob'))).attrs.from, `${roomJid('names')}/Bob`);
});

test('bad requests: admin items, configuration forms, IQs and messages to no room', async () => {
  const [alice, bob] = scene.users('alice', 'bob') as [TestClient, TestClient];
  assert.equal(condition(await admin(alice, 'names', { nick: 'Bob', role: 'emperor' })), 'bad-request');
  assert.equal(condition(await admin(alice, 'names', { jid: 'not a jid@@', affiliation: 'member' })), 'jid-malformed');
  assert.equal(condition(await admin(alice, 'names', { nick: 'Nobody', role: 'none' })), 'item-not-found');
  assert.equal(condition(await admin(alice, 'names', { role: 'none' })), 'bad-request', 'neither nick nor jid');
  assert.equal(condition(await iq(alice, 'set', xml('query', { xmlns: NS_MUC_ADMIN }), roomJid('names'))), 'bad-request', 'no item');
  assert.equal(condition(await iq(alice, 'get', xml('list', { xmlns: NS_MUC_ADMIN }), roomJid('names'))), 'bad-request', 'not a query');
  // A failed set changes nothing, even for the items before the bad one.
  const mixed = xml('query', { xmlns: NS_MUC_ADMIN }, xml('item', { nick: 'Bob', role: 'visitor' }), xml('item', { nick: 'Bob', role: 'king' }));
  assert.equal(condition(await iq(alice, 'set', mixed, roomJid('names'))), 'bad-request');
  const roles = await iq(alice, 'get', xml('query', { xmlns: NS_MUC_ADMIN }, xml('item', { role: 'participant' })), roomJid('names'));
  assert.deepEqual(roles.getChild('query')?.getChildren('item').map((i) => i.attrs.nick), ['Bob']);

  const form = (type: string, ...fields: [string, string][]) => xml('query', { xmlns: NS_MUC_OWNER }, xml('x', { xmlns: 'jabber:x:data', type },
    ...fields.map(([k, v]) => xml('field', { var: k }, xml('value', {}, v)))));
  assert.equal(condition(await iq(alice, 'set', form('submit', ['muc#roomconfig_unknown', '1']), roomJid('names'))), 'not-acceptable');
  assert.equal(condition(await iq(alice, 'set', form('submit', ['FORM_TYPE', 'urn:other']), roomJid('names'))), 'bad-request');
  assert.equal(condition(await iq(alice, 'set', form('form', ['muc#roomconfig_moderatedroom', '1']), roomJid('names'))), 'bad-request');
  assert.equal(condition(await iq(alice, 'set', form('submit', ['muc#roomconfig_passwordprotectedroom', '1']), roomJid('names'))), 'not-acceptable', 'no password');
  assert.equal(condition(await iq(alice, 'set', xml('query', { xmlns: NS_MUC_OWNER }), roomJid('names'))), 'bad-request');
  assert.equal(condition(await iq(bob, 'set', form('submit'), roomJid('names'))), 'forbidden');
  assert.equal(condition(await iq(bob, 'get', xml('query', { xmlns: 'urn:unknown' }), roomJid('names'))), 'service-unavailable');

  assert.equal(await errorFor(bob, { name: 'message', to: roomJid('nowhere'), type: 'groupchat' }, xml('body', {}, 'hi')), 'item-not-found');
  assert.equal(condition(await iq(bob, 'get', xml('query', { xmlns: NS_MUC_OWNER }), roomJid('nowhere'))), 'item-not-found');
  assert.equal(await errorFor(bob, { name: 'message', to: `${roomJid('names')}/Alice`, type: 'groupchat' }, xml('body', {}, 'x')), 'bad-request');
  // Still a room with a configuration that was never changed by all this.
  const info = await iq(bob, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), roomJid('names'));
  const features = info.getChild('query')?.getChildren('feature').map((f) => f.attrs.var);
  assert.ok(features?.includes('muc_unmoderated') && features.includes('muc_unsecured'));
});

const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;
const joinXml = (room: string, nick: string, id: string): string =>
  `<presence id='${id}' to='${roomJid(room)}/${nick}'><x xmlns='${NS_MUC}'/></presence>`;

test('a join flood against max users: service-unavailable, the room keeps serving its members and lets an admin in', async () => {
  const [alice, bob] = scene.users('alice', 'bob') as [TestClient, TestClient];
  const [carol, dave] = await Promise.all([user('carol'), user('dave')]);
  await createRoom(alice, 'tiny', 'Alice', { 'muc#roomconfig_maxusers': '5' });
  await joined(bob, 'tiny', 'Bob');
  await joined(carol, 'tiny', 'Carol');
  // Two raw connections take the last two places.
  for (const name of ['f1', 'f2']) {
    const r = await rawSession(scene.server.ports.c2s_tls, name, `${name}-pw`);
    raws.push(r);
    r.write(joinXml('tiny', name, `${name}-join`));
    await r.read((t) => /code=["']110["']/.test(t));
  }
  // A third floods: 300 joins under 300 nicks, all refused.
  const N = 300;
  const flood = await rawSession(scene.server.ports.c2s_tls, 'f3', 'f3-pw');
  raws.push(flood);
  let batch = '';
  for (let i = 0; i < N; i++) batch += joinXml('tiny', `flood${i}`, `f3-${i}`);
  flood.write(batch);
  const text = await flood.read((t) => count(t, /<service-unavailable/g) >= N, 30_000);
  assert.equal(count(text, /<service-unavailable/g), N);
  assert.equal(count(text, /code=["']110["']/g), 0, 'none of them got in');

  // The members still talk, and the room holds exactly its five.
  await bob.xmpp.send(groupchat('tiny', 'still here'));
  for (const c of [alice, bob, carol]) await c.next(isGroupchat('tiny', 'still here'));
  const items = async () => (await iq(alice, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }), roomJid('tiny'))).getChild('query')?.getChildren('item') ?? [];
  assert.equal((await items()).length, 5);
  // Full for dave too, until the owner makes him an admin (§7.2.10: admins still enter).
  assert.equal(condition(await join(dave, 'tiny', 'Dave')), 'service-unavailable');
  assert.equal((await admin(alice, 'tiny', { jid: 'dave@localhost', affiliation: 'admin' })).attrs.type, 'result');
  assert.ok(codes(await joined(dave, 'tiny', 'Dave')).includes(110));
  assert.equal((await items()).length, 6);
});

test('max_user_rooms: a user in 3 rooms creates or enters no fourth (resource-constraint) until it leaves one', async () => {
  const [alice] = scene.users('alice') as [TestClient];
  await createRoom(alice, 'third', 'Alice'); // with 'names' and 'tiny'
  const refused = await join(alice, 'fourth', 'Alice');
  assert.deepEqual([refused.attrs.type, condition(refused)], ['error', 'resource-constraint']);
  await alice.xmpp.send(xml('presence', { to: `${roomJid('third')}/Alice`, type: 'unavailable' }));
  await createRoom(alice, 'fourth', 'Alice');
});
