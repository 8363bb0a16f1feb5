/**
 * XEP-0045 Multi-User Chat end to end: alice creates a room, bob and carol join, all three
 * talk; history, subject, nick change and private messages; kick and ban enforced; a
 * members-only room refuses a non-member; passwords; a moderated room with a voice request;
 * disco of the service, its rooms and occupants; the room's archive (XEP-0313) and
 * self-ping (XEP-0410).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { xml, type TestClient } from '../support/xmpp.js';
import { condition, iq } from '../support/im.js';
import {
  admin, codes, configure, Scene, createRoom, groupchat, isGroupchat, isOccupantPresence, item, join, joined, roomJid, NS_MUC_ADMIN, NS_MUC_USER, SERVICE,
} from '../support/muc.js';

const scene = new Scene();
const user = (name: string): Promise<TestClient> => scene.user(name);
const users = (...names: string[]): TestClient[] => scene.users(...names);

before(() => scene.start(['alice', 'bob', 'carol', 'dave']));
after(() => scene.stop());

test('three users in a room: presence, messages to all, history, subject, nick change, private messages', async () => {
  const [alice, bob, carol] = await Promise.all([user('alice'), user('bob'), user('carol')]);
  await createRoom(alice, 'lobby', 'Alice');
  const bobSelf = await joined(bob, 'lobby', 'Bob');
  assert.deepEqual([item(bobSelf)?.attrs.affiliation, item(bobSelf)?.attrs.role], ['none', 'participant']);
  // Bob got alice's presence before his own; alice (a moderator) sees bob's real JID.
  const aliceSeen = await bob.next(isOccupantPresence('lobby', 'Alice'));
  assert.deepEqual([item(aliceSeen)?.attrs.affiliation, item(aliceSeen)?.attrs.role, item(aliceSeen)?.attrs.jid], ['owner', 'moderator', undefined]);
  assert.equal(item(await alice.next(isOccupantPresence('lobby', 'Bob')))?.attrs.jid, 'bob@localhost/r');
  await joined(carol, 'lobby', 'Carol');

  await alice.xmpp.send(groupchat('lobby', 'hello from alice'));
  await bob.xmpp.send(groupchat('lobby', 'hello from bob'));
  await carol.xmpp.send(groupchat('lobby', 'hello from carol'));
  for (const c of [alice, bob, carol]) {
    for (const [nick, body] of [['Alice', 'hello from alice'], ['Bob', 'hello from bob'], ['Carol', 'hello from carol']] as const) {
      const m = await c.next(isGroupchat('lobby', body));
      assert.equal(m.attrs.from, `${roomJid('lobby')}/${nick}`);
    }
  }

  // Subject by the owner; then dave joins and gets the history (with delay) and the subject.
  await alice.xmpp.send(xml('message', { to: roomJid('lobby'), type: 'groupchat' }, xml('subject', {}, 'Tea at five')));
  await bob.next((el) => el.is('message') && el.getChildText('subject') === 'Tea at five');
  const dave = await user('dave');
  await join(dave, 'lobby', 'Dave');
  const history = await dave.next(isGroupchat('lobby', 'hello from carol'));
  assert.equal(history.getChild('delay', 'urn:xmpp:delay')?.attrs.from, roomJid('lobby'));
  assert.ok(dave.received.some(isGroupchat('lobby', 'hello from alice')), 'the whole history');
  const subject = await dave.next((el) => el.is('message') && el.getChild('subject') !== undefined);
  assert.deepEqual([subject.getChildText('subject'), subject.attrs.from], ['Tea at five', `${roomJid('lobby')}/Alice`]);

  // Carol becomes Caroline (303 with the new nick, then available from the new nick).
  await carol.xmpp.send(xml('presence', { to: `${roomJid('lobby')}/Caroline` }));
  const gone = await bob.next(isOccupantPresence('lobby', 'Carol', 'unavailable'));
  assert.deepEqual([codes(gone), item(gone)?.attrs.nick], [[303], 'Caroline']);
  await bob.next(isOccupantPresence('lobby', 'Caroline'));
  assert.ok(codes(await carol.next(isOccupantPresence('lobby', 'Caroline'))).includes(110));

  // Private message: bob to Caroline, through the room.
  await bob.xmpp.send(xml('message', { to: `${roomJid('lobby')}/Caroline`, type: 'chat' }, xml('body', {}, 'psst')));
  const pm = await carol.next((el) => el.is('message') && el.getChildText('body') === 'psst');
  assert.deepEqual([pm.attrs.from, pm.getChild('x', NS_MUC_USER) !== undefined], [`${roomJid('lobby')}/Bob`, true]);
  const noOne = await iqlessError(bob, xml('message', { to: `${roomJid('lobby')}/Nobody`, type: 'chat' }, xml('body', {}, 'x')));
  assert.equal(condition(noOne), 'item-not-found');

  // Dave leaves: everyone sees him go, he gets his own unavailable with 110.
  await dave.xmpp.send(xml('presence', { to: `${roomJid('lobby')}/Dave`, type: 'unavailable' }));
  assert.ok(codes(await dave.next(isOccupantPresence('lobby', 'Dave', 'unavailable'))).includes(110));
  await alice.next(isOccupantPresence('lobby', 'Dave', 'unavailable'));
});

/** Sends a stanza and resolves with the error that comes back for it. */
async function iqlessError(c: TestClient, stanza: Element): Promise<Element> {
  const to = stanza.attrs.to;
  const answer = c.next((el) => el.attrs.type === 'error' && el.attrs.from === to);
  await c.xmpp.send(stanza);
  return answer;
}

test('kick and ban are enforced', async () => {
  const [alice, bob, carol] = users('alice', 'bob', 'carol');
  await createRoom(alice, 'court', 'Judge');
  await joined(bob, 'court', 'Bob');
  await joined(carol, 'court', 'Carol');

  // Bob (no affiliation) may not kick; the owner may.
  const denied = await admin(bob, 'court', { nick: 'Carol', role: 'none' });
  assert.equal(condition(denied), 'forbidden');
  assert.equal((await admin(alice, 'court', { nick: 'Bob', role: 'none' }, 'noise')).attrs.type, 'result');
  const kicked = await bob.next(isOccupantPresence('court', 'Bob', 'unavailable'));
  assert.deepEqual(codes(kicked).sort(), [110, 307]);
  assert.equal(item(kicked)?.getChildText('reason'), 'noise');
  assert.deepEqual(codes(await carol.next(isOccupantPresence('court', 'Bob', 'unavailable'))), [307]);
  // Kicked is not banned: bob comes back, but his messages before were not his anymore.
  await joined(bob, 'court', 'Bob');

  // Ban carol by JID: out at once (301), refused when she tries again (forbidden), on the outcast list.
  assert.equal((await admin(alice, 'court', { jid: 'carol@localhost', affiliation: 'outcast' })).attrs.type, 'result');
  assert.deepEqual(codes(await carol.next(isOccupantPresence('court', 'Carol', 'unavailable'))).sort(), [110, 301]);
  assert.deepEqual(codes(await bob.next(isOccupantPresence('court', 'Carol', 'unavailable'))), [301]);
  const again = await join(carol, 'court', 'Carol2');
  assert.deepEqual([again.attrs.type, condition(again)], ['error', 'forbidden']);
  const stray = await iqlessError(carol, groupchat('court', 'let me in'));
  assert.equal(condition(stray), 'not-acceptable');
  assert.ok(!bob.received.some(isGroupchat('court', 'let me in')));
  const list = await iq(alice, 'get', xml('query', { xmlns: NS_MUC_ADMIN }, xml('item', { affiliation: 'outcast' })), roomJid('court'));
  assert.deepEqual(list.getChild('query')?.getChildren('item').map((i) => i.attrs.jid), ['carol@localhost']);
  // An owner cannot be kicked, not even by an admin; and the last owner cannot step down.
  assert.equal((await admin(alice, 'court', { jid: 'bob@localhost', affiliation: 'admin' })).attrs.type, 'result');
  assert.equal(condition(await admin(bob, 'court', { nick: 'Judge', role: 'none' })), 'not-allowed');
  assert.equal(condition(await admin(alice, 'court', { jid: 'alice@localhost', affiliation: 'member' })), 'conflict');
});

test('a members-only room refuses a non-member (registration-required) but takes an invited one; a password room a wrong password', async () => {
  const [alice, bob, carol] = users('alice', 'bob', 'carol');
  await createRoom(alice, 'club', 'Alice', { 'muc#roomconfig_membersonly': '1' });
  const refused = await join(bob, 'club', 'Bob');
  assert.deepEqual([refused.attrs.type, condition(refused)], ['error', 'registration-required']);
  assert.equal((await admin(alice, 'club', { jid: 'bob@localhost', affiliation: 'member' })).attrs.type, 'result');
  assert.deepEqual([item(await joined(bob, 'club', 'Bob'))?.attrs.affiliation], ['member']);
  // Membership revoked in a members-only room: out with 321.
  assert.equal((await admin(alice, 'club', { jid: 'bob@localhost', affiliation: 'none' })).attrs.type, 'result');
  assert.ok(codes(await bob.next(isOccupantPresence('club', 'Bob', 'unavailable'))).includes(321));
  // §7.8.2: the owner invites carol; in a members-only room that makes her a member. She declines, then comes anyway.
  const invite = xml('x', { xmlns: NS_MUC_USER }, xml('invite', { to: 'carol@localhost' }, xml('reason', {}, 'join us')));
  await alice.xmpp.send(xml('message', { to: roomJid('club') }, invite));
  const invited = await carol.next((el) => el.is('message') && el.getChild('x', NS_MUC_USER)?.getChild('invite') !== undefined);
  assert.deepEqual([invited.attrs.from, invited.getChild('x', NS_MUC_USER)?.getChild('invite')?.attrs.from], [roomJid('club'), 'alice@localhost']);
  await carol.xmpp.send(xml('message', { to: roomJid('club') }, xml('x', { xmlns: NS_MUC_USER }, xml('decline', { to: 'alice@localhost' }))));
  const declined = await alice.next((el) => el.is('message') && el.getChild('x', NS_MUC_USER)?.getChild('decline') !== undefined);
  assert.equal(declined.getChild('x', NS_MUC_USER)?.getChild('decline')?.attrs.from, 'carol@localhost');
  assert.equal(item(await joined(carol, 'club', 'Carol'))?.attrs.affiliation, 'member');

  await createRoom(alice, 'vault', 'Alice', { 'muc#roomconfig_passwordprotectedroom': '1', 'muc#roomconfig_roomsecret': 's3cret' });
  assert.equal(condition(await join(carol, 'vault', 'Carol')), 'not-authorized');
  assert.equal(condition(await join(carol, 'vault', 'Carol', [xml('password', {}, 'wrong')])), 'not-authorized');
  await joined(carol, 'vault', 'Carol', [xml('password', {}, 's3cret')]);
});

test('a moderated room: visitors may not speak until a moderator grants the voice they request', async () => {
  const [alice, bob] = users('alice', 'bob');
  await createRoom(alice, 'stage', 'Host', { 'muc#roomconfig_moderatedroom': '1' });
  assert.equal(item(await joined(bob, 'stage', 'Bob'))?.attrs.role, 'visitor');
  assert.equal(condition(await iqlessError(bob, groupchat('stage', 'may I?'))), 'forbidden');
  const request = xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
    xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'http://jabber.org/protocol/muc#request')),
    xml('field', { var: 'muc#role' }, xml('value', {}, 'participant')));
  await bob.xmpp.send(xml('message', { to: roomJid('stage') }, request));
  const form = await alice.next((el) => el.is('message') && el.getChild('x', 'jabber:x:data') !== undefined);
  const fields = new Map(form.getChild('x', 'jabber:x:data')?.getChildren('field').map((f) => [f.attrs.var, f.getChildText('value')]));
  assert.deepEqual([fields.get('muc#roomnick'), fields.get('muc#jid')], ['Bob', 'bob@localhost/r']);
  const approve = xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
    ...[['FORM_TYPE', 'http://jabber.org/protocol/muc#request'], ['muc#role', 'participant'], ['muc#roomnick', 'Bob'], ['muc#request_allow', 'true']]
      .map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))));
  await alice.xmpp.send(xml('message', { to: roomJid('stage') }, approve));
  assert.equal(item(await bob.next((el) => isOccupantPresence('stage', 'Bob')(el) && codes(el).includes(110)))?.attrs.role, 'participant');
  await bob.xmpp.send(groupchat('stage', 'thank you'));
  await alice.next(isGroupchat('stage', 'thank you'));
});

test('disco: the service on the server, its rooms, a room and its occupants; the room archive; self-ping', async () => {
  const [alice, bob, dave] = users('alice', 'bob', 'dave');
  const serverItems = await iq(alice, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }), 'localhost');
  assert.ok(serverItems.getChild('query')?.getChildren('item').some((i) => i.attrs.jid === SERVICE));
  const info = await iq(alice, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), SERVICE);
  const identity = info.getChild('query')?.getChild('identity');
  assert.deepEqual([identity?.attrs.category, identity?.attrs.type], ['conference', 'text']);
  assert.ok(info.getChild('query')?.getChildren('feature').some((f) => f.attrs.var === 'http://jabber.org/protocol/muc'));
  const rooms = await iq(alice, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }), SERVICE);
  const jids = rooms.getChild('query')?.getChildren('item').map((i) => i.attrs.jid) ?? [];
  assert.ok(jids.includes(roomJid('lobby')) && jids.includes(roomJid('court')), jids.join(' '));

  const roomInfo = await iq(dave, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), roomJid('lobby'));
  const features = roomInfo.getChild('query')?.getChildren('feature').map((f) => f.attrs.var);
  for (const f of ['http://jabber.org/protocol/muc', 'muc_temporary', 'muc_open', 'muc_unmoderated', 'urn:xmpp:mam:2']) assert.ok(features?.includes(f), f);
  const occupants = await iq(dave, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }), roomJid('lobby'));
  assert.deepEqual(occupants.getChild('query')?.getChildren('item').map((i) => i.attrs.jid).sort(), ['Alice', 'Bob', 'Caroline'].map((n) => `${roomJid('lobby')}/${n}`));
  const none = await iq(dave, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), roomJid('nosuchroom'));
  assert.equal(condition(none), 'item-not-found');

  // The room's archive: the three hellos, each with the stanza-id the occupants were given.
  const answer = iq(bob, 'set', xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'm1' }), roomJid('lobby'));
  const fin = await answer;
  assert.equal(fin.attrs.type, 'result', fin.toString());
  const results = bob.received.filter((el) => el.getChild('result', 'urn:xmpp:mam:2')?.attrs.queryid === 'm1');
  const bodies = results.map((r) => r.getChild('result')?.getChild('forwarded')?.getChild('message')?.getChildText('body'));
  assert.deepEqual(bodies, ['hello from alice', 'hello from bob', 'hello from carol']);
  assert.equal(results[0]?.attrs.from, roomJid('lobby'));

  // XEP-0410: bob is joined as Bob; dave left.
  const ping = xml('ping', { xmlns: 'urn:xmpp:ping' });
  assert.equal((await iq(bob, 'get', ping, `${roomJid('lobby')}/Bob`)).attrs.type, 'result');
  assert.equal(condition(await iq(dave, 'get', xml('ping', { xmlns: 'urn:xmpp:ping' }), `${roomJid('lobby')}/Dave`)), 'not-acceptable');
});

test('the room configuration form: fetched by the owner only; unknown fields and bad values refused', async () => {
  const [alice, bob] = users('alice', 'bob');
  const form = await iq(alice, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' }), roomJid('lobby'));
  const vars = form.getChild('query')?.getChild('x', 'jabber:x:data')?.getChildren('field').map((f) => f.attrs.var);
  for (const v of ['muc#roomconfig_persistentroom', 'muc#roomconfig_membersonly', 'muc#roomconfig_moderatedroom', 'muc#roomconfig_passwordprotectedroom', 'muc#roomconfig_maxusers']) {
    assert.ok(vars?.includes(v), v);
  }
  assert.equal(condition(await iq(bob, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' }), roomJid('lobby'))), 'forbidden');
  assert.equal(condition(await configure(alice, 'lobby', { 'muc#roomconfig_frobnicate': '1' })), 'not-acceptable');
  assert.equal(condition(await configure(alice, 'lobby', { 'muc#roomconfig_membersonly': 'perhaps' })), 'bad-request');
  assert.equal(condition(await configure(alice, 'lobby', { 'muc#roomconfig_maxusers': 'many' })), 'bad-request');
  assert.equal(condition(await configure(alice, 'lobby', { 'muc#roomconfig_maxusers': '100000' })), 'not-acceptable');
  // A good change: occupants hear of it (104).
  assert.equal((await configure(alice, 'lobby', { 'muc#roomconfig_roomname': 'The Lobby' })).attrs.type, 'result');
  assert.ok(codes(await bob.next((el) => el.is('message') && el.attrs.from === roomJid('lobby') && codes(el).length > 0)).includes(104));
});
