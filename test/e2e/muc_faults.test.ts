/**
 * XEP-0045 rooms and faults: a room process crashed in the middle of a conversation is
 * restarted by muc_room_sup from the state it left in the node's room table: its occupants
 * are told (self-presence 110 + 399) and stay, its configuration and history are intact and
 * the conversation goes on. A persistent room survives a restart of the server: loaded on
 * demand (no process until addressed), with its configuration, affiliations, subject and
 * history (from its archive).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server.js';
import { xml, type TestClient } from '../support/xmpp.js';
import { condition, iq } from '../support/im.js';
import {
  admin, codes, createRoom, Scene, groupchat, isGroupchat, isOccupantPresence, join, joined, roomJid, NS_MUC_OWNER,
} from '../support/muc.js';
import type { TreeNode } from '../../src/control/protocol.js';

const scene = new Scene();
const user = (name: string): Promise<TestClient> => scene.user(name);

before(() => scene.start(['alice', 'bob', 'carol', 'dave']));
after(() => scene.stop());

async function tree(): Promise<TreeNode> {
  const r = await scene.server.ctl(['--json', 'tree']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as TreeNode;
}

const find = (node: TreeNode, id: string): TreeNode | undefined => (node.id === id ? node : node.children?.map((c) => find(c, id)).find(Boolean));
const roomsRunning = async (): Promise<TreeNode[]> => find(await tree(), 'muc_room_sup')?.children ?? [];

/** The value of one field of the room's configuration form. */
async function configValue(owner: TestClient, room: string, field: string): Promise<string | null> {
  const form = await iq(owner, 'get', xml('query', { xmlns: NS_MUC_OWNER }), roomJid(room));
  const x = form.getChild('query')?.getChild('x', 'jabber:x:data');
  return x?.getChildren('field').find((f) => f.attrs.var === field)?.getChildText('value') ?? null;
}

test('a room crashed during a conversation comes back with its occupants told, its configuration and history intact', async () => {
  const [alice, bob, carol] = await Promise.all([user('alice'), user('bob'), user('carol')]);
  await createRoom(alice, 'phoenix', 'Alice', { 'muc#roomconfig_roomname': 'Phoenix', 'muc#roomconfig_maxusers': '10' });
  await joined(bob, 'phoenix', 'Bob');
  await joined(carol, 'phoenix', 'Carol');
  for (const [c, body] of [[alice, 'before 1'], [bob, 'before 2'], [carol, 'before 3']] as const) await c.xmpp.send(groupchat('phoenix', body));
  for (const c of [alice, bob, carol]) await c.next(isGroupchat('phoenix', 'before 3'));
  const [before] = await roomsRunning();
  assert.equal(before?.name, 'muc_room:phoenix@conference.localhost');

  const crash = await scene.server.ctl(['crash', 'muc_room:phoenix@conference.localhost']);
  assert.equal(crash.code, 0, crash.stderr);
  // Every occupant is told, with its own presence marked 110 + 399, and sees the others again.
  for (const [c, nick] of [[alice, 'Alice'], [bob, 'Bob'], [carol, 'Carol']] as const) {
    const self = await c.next((el) => isOccupantPresence('phoenix', nick)(el) && codes(el).includes(399));
    assert.deepEqual(codes(self).sort(), [110, 399]);
    for (const other of ['Alice', 'Bob', 'Carol'].filter((n) => n !== nick)) await c.next(isOccupantPresence('phoenix', other));
  }
  const [after] = await roomsRunning();
  assert.equal(after?.name, 'muc_room:phoenix@conference.localhost');
  assert.notEqual(after?.pid, before?.pid);
  assert.equal(after?.restarts, 1);

  // The conversation goes on with the same occupants; configuration and history are intact.
  await bob.xmpp.send(groupchat('phoenix', 'after'));
  for (const c of [alice, bob, carol]) await c.next(isGroupchat('phoenix', 'after'));
  assert.equal(await configValue(alice, 'phoenix', 'muc#roomconfig_roomname'), 'Phoenix');
  assert.equal(await configValue(alice, 'phoenix', 'muc#roomconfig_maxusers'), '10');
  const dave = await user('dave');
  await joined(dave, 'phoenix', 'Dave');
  const history = dave.received.filter((el) => el.getChild('delay', 'urn:xmpp:delay')).map((el) => el.getChildText('body'));
  assert.deepEqual(history.slice(0, 3).sort(), ['before 1', 'before 2', 'before 3']);
  assert.equal(history[3], 'after');
  assert.equal(condition(await join(dave, 'phoenix', 'Bob')), 'conflict', 'Bob is still in the room');
  await scene.stopClients();
});

test('a persistent room survives a server restart, loaded on demand', async () => {
  const alice = await user('alice');
  await createRoom(alice, 'archive', 'Alice', {
    'muc#roomconfig_persistentroom': '1', 'muc#roomconfig_membersonly': '1', 'muc#roomconfig_roomname': 'The Archive',
  });
  assert.equal((await admin(alice, 'archive', { jid: 'bob@localhost', affiliation: 'member' })).attrs.type, 'result');
  await alice.xmpp.send(xml('message', { to: roomJid('archive'), type: 'groupchat' }, xml('subject', {}, 'Old papers')));
  await alice.xmpp.send(groupchat('archive', 'kept 1'));
  await alice.next(isGroupchat('archive', 'kept 1'));
  await scene.stopClients();

  assert.equal(await scene.server.stop(), 0);
  scene.server = await startServer({ reuseDir: scene.server.dir });
  assert.deepEqual((await roomsRunning()).map((r) => r.name), [], 'no room process before one is addressed');
  const [alice2, bob2, carol2] = await Promise.all([user('alice'), user('bob'), user('carol')]);
  const rooms = await iq(carol2, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }), 'conference.localhost');
  assert.deepEqual(rooms.getChild('query')?.getChildren('item').map((i) => [i.attrs.jid, i.attrs.name]), [[roomJid('archive'), 'The Archive']]);

  const refused = await join(carol2, 'archive', 'Carol');
  assert.equal(condition(refused), 'registration-required', 'still members-only');
  await join(bob2, 'archive', 'Bob');
  const history = await bob2.next(isGroupchat('archive', 'kept 1'));
  assert.ok(history.getChild('delay', 'urn:xmpp:delay'), 'history from the archive');
  const subject = await bob2.next((el) => el.is('message') && el.getChild('subject') !== undefined);
  assert.equal(subject.getChildText('subject'), 'Old papers');
  assert.deepEqual((await roomsRunning()).map((r) => r.name), ['muc_room:archive@conference.localhost']);
  await joined(alice2, 'archive', 'Alice');
  assert.equal(await configValue(alice2, 'archive', 'muc#roomconfig_roomname'), 'The Archive');
  assert.equal(await configValue(alice2, 'archive', 'muc#roomconfig_persistentroom'), '1');
  // Everyone leaves: the process ends, the room stays stored.
  for (const [c, nick] of [[alice2, 'Alice'], [bob2, 'Bob']] as const) {
    await c.xmpp.send(xml('presence', { to: `${roomJid('archive')}/${nick}`, type: 'unavailable' }));
    await c.next(isOccupantPresence('archive', nick, 'unavailable'));
  }
  assert.deepEqual((await roomsRunning()).map((r) => r.name), []);
  const info = await iq(carol2, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), roomJid('archive'));
  assert.ok(info.getChild('query')?.getChildren('feature').some((f) => f.attrs.var === 'muc_persistent'));
});
