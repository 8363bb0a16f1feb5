/**
 * MUC rooms in a Troupe cluster end to end (issue #9): three nodes sharing a real Redis and a
 * real PostgreSQL. A room is owned by one node (rendezvous order of its JID over the live
 * nodes); users on other nodes join it and talk through it both ways; the service's disco
 * lists it from any node. The owner killed with -9: the next node of the room's order takes it
 * over, the occupants on the surviving nodes stay (told with 110 + 399), the dead node's
 * occupant leaves (333) there and in a room of a node that lives on, and the room's
 * configuration and history come back from PostgreSQL. A room created after that lands on a
 * live node. A node leaving with SIGTERM hands its rooms over the same way.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { Redis } from 'ioredis';
import type { Element } from 'ltx';
import { startServer, type TestServer } from '../support/server.js';
import { xml, type TestClient } from '../support/xmpp.js';
import { condition, iq, online, register } from '../support/im.js';
import { REDIS_MISSING, startRedis, type TestRedis } from '../support/redis.js';
import { postgresSkip, startPostgres, type TestPostgres } from '../support/postgres.js';
import {
  admin, codes, configure, createRoom, groupchat, isGroupchat, isOccupantPresence, item, joined, roomJid, NS_MUC_OWNER, SERVICE,
} from '../support/muc.js';
import { eventually } from '../support/worker.js';
import { rankNodes } from '../../src/cluster/room_placement.js';
import type { ClusterRoomStatus, TreeNode } from '../../src/control/protocol.js';

const NODES = ['n1', 'n2', 'n3'] as const;
let redis: TestRedis;
let postgres: TestPostgres;
const servers = new Map<string, TestServer>();
const clients: TestClient[] = [];
const node = (name: string): TestServer => servers.get(name) as TestServer;

async function clusterNode(name: string, postgresUrl: string): Promise<void> {
  servers.set(name, await startServer({
    storage: 'postgres',
    postgres_url: postgresUrl,
    cluster: { redis_url: redis.url, node_name: name, liveness_ttl_s: 1 },
    c2s: { stream_management: { enabled: false } },
  }));
}

/** A room name whose rendezvous order over the three nodes starts with `owner`. */
function roomOwnedBy(owner: string, prefix: string): string {
  for (let i = 0; ; i++) if (rankNodes(roomJid(`${prefix}${i}`), NODES)[0] === owner) return `${prefix}${i}`;
}

async function user(on: string, name: string, resource = on): Promise<TestClient> {
  const c = await online(node(on), name, resource);
  clients.push(c);
  return c;
}

async function clusterRooms(on: string): Promise<ClusterRoomStatus[]> {
  const r = await node(on).ctl(['--json', 'cluster', 'rooms']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ClusterRoomStatus[];
}

/** The rooms `cluster rooms` lists become `expected` (the owner writes Redis after it sends the stanzas seen). */
async function roomsBecome(on: string, expected: ClusterRoomStatus[]): Promise<void> {
  const sorted = [...expected].sort((a, b) => (a.room < b.room ? -1 : 1));
  let last: ClusterRoomStatus[] = [];
  await eventually(async () => isDeepStrictEqual((last = await clusterRooms(on)), sorted), `the rooms on ${on}`)
    .catch(() => assert.deepEqual(last, sorted));
}

/** The processes under muc_room_sup on a node. */
async function roomProcesses(on: string): Promise<string[]> {
  const tree = JSON.parse((await node(on).ctl(['--json', 'tree'])).stdout) as TreeNode;
  return (tree.children?.find((c) => c.id === 'muc_room_sup')?.children ?? []).map((c) => c.name ?? '');
}

const configField = (form: Element, field: string): string | null =>
  form.getChild('query')?.getChild('x', 'jabber:x:data')?.getChildren('field').find((f) => f.attrs.var === field)?.getChildText('value') ?? null;

const skip = REDIS_MISSING || postgresSkip;
/** Rooms of the kill -9 test: one held by the node killed, one by a node that lives on; and one created after. */
const phoenix = roomOwnedBy('n3', 'phoenix');
const kept = roomOwnedBy('n1', 'kept');
const later = roomOwnedBy('n3', 'later');

before(async () => {
  if (skip) return;
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  const url = await postgres.createDatabase('troupe');
  for (const name of NODES) await clusterNode(name, url);
  await register(node('n1'), 'alice', 'bob', 'carol', 'dave');
});

after(async () => {
  await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
  for (const server of servers.values()) await server.stop().catch(() => undefined);
  await redis?.stop();
  await postgres?.stop();
});

test('users on two nodes share one room, owned by one node: presence and groupchat both ways; disco lists it everywhere', { skip }, async () => {
  const room = roomOwnedBy('n1', 'square');
  const alice = await user('n1', 'alice');
  const bob = await user('n2', 'bob');
  await createRoom(alice, room, 'Alice', { 'muc#roomconfig_roomname': 'Town square' });
  await joined(bob, room, 'Bob');
  // Each sees the other: alice's presence came to bob before his own; bob's reaches alice.
  await bob.next(isOccupantPresence(room, 'Alice'));
  await alice.next(isOccupantPresence(room, 'Bob'));

  await alice.xmpp.send(groupchat(room, 'from node 1'));
  await bob.next(isGroupchat(room, 'from node 1'));
  await bob.xmpp.send(groupchat(room, 'from node 2'));
  assert.equal((await alice.next(isGroupchat(room, 'from node 2'))).attrs.from, `${roomJid(room)}/Bob`);

  // One owner, the same seen from every node; one process, on that node.
  for (const on of NODES) assert.deepEqual(await clusterRooms(on), [{ room: roomJid(room), owner: 'n1', occupants: 2 }]);
  assert.equal((await node('n3').ctl(['cluster', 'rooms'])).stdout, `${roomJid(room)}\tn1\t2 occupants\n`);
  assert.deepEqual(await roomProcesses('n1'), [`muc_room:${roomJid(room)}`]);
  assert.deepEqual([...(await roomProcesses('n2')), ...(await roomProcesses('n3'))], []);
  const redisClient = new Redis(redis.url);
  assert.equal(await redisClient.hget(`troupe:room:${roomJid(room)}`, 'owner'), 'n1');
  // Garbage on the owner's channel is logged and dropped: the room and its node go on.
  for (const junk of ['{"room_route":{"from":"a@b","to":"c@d","stanza":"<message","hops":0}}', '{"room_take_over":"@x"}', '{"room_node_down":7}', 'not json']) {
    assert.equal(await redisClient.publish('troupe:node:n1', junk), 1);
  }
  await redisClient.quit();
  await bob.xmpp.send(groupchat(room, 'after the junk'));
  await alice.next(isGroupchat(room, 'after the junk'));

  // The service's disco#items on node 2 lists the room running on node 1.
  const items = await iq(bob, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }), SERVICE);
  const listed = items.getChild('query')?.getChildren('item').map((i) => [i.attrs.jid, i.attrs.name]);
  assert.deepEqual(listed, [[roomJid(room), 'Town square']]);

  await bob.xmpp.send(xml('presence', { to: `${roomJid(room)}/Bob`, type: 'unavailable' }));
  await alice.next(isOccupantPresence(room, 'Bob', 'unavailable'));
  await alice.xmpp.send(xml('presence', { to: `${roomJid(room)}/Alice`, type: 'unavailable' }));
  await alice.next(isOccupantPresence(room, 'Alice', 'unavailable'));
  // The room ended with its last occupant: nothing of it is left in Redis.
  await roomsBecome('n2', []);
});

test('kill -9 the owner: the next node takes the room over with its survivors, configuration and history', { skip }, async () => {
  const room = phoenix;
  const heir = rankNodes(roomJid(room), ['n1', 'n2'])[0];
  const [alice, bob, carol] = [await user('n1', 'alice'), await user('n2', 'bob'), await user('n3', 'carol')];
  await createRoom(alice, room, 'Alice', {
    'muc#roomconfig_roomname': 'Phoenix', 'muc#roomconfig_persistentroom': '1', 'muc#roomconfig_membersonly': '1',
  });
  for (const member of ['bob', 'carol', 'dave']) assert.equal((await admin(alice, room, { jid: `${member}@localhost`, affiliation: 'member' })).attrs.type, 'result');
  await joined(bob, room, 'Bob');
  await joined(carol, room, 'Carol');
  await carol.xmpp.send(groupchat(room, 'before the crash'));
  for (const c of [alice, bob, carol]) await c.next(isGroupchat(room, 'before the crash'));
  assert.deepEqual(await clusterRooms('n1'), [{ room: roomJid(room), owner: 'n3', occupants: 3 }]);
  // carol is also in a room of node 1, which lives on.
  await createRoom(alice, kept, 'Alice');
  await joined(carol, kept, 'Carol');
  await alice.next(isOccupantPresence(kept, 'Carol'));

  await node('n3').kill9();
  // Sent at once (the owner not yet known dead): an answer either way, never a hang.
  await alice.xmpp.send(groupchat(room, 'in the gap'));
  const gap = await alice.next((el) => el.is('message') && (el.attrs.type === 'error' || isGroupchat(room, 'in the gap')(el)), 10_000);
  if (gap.attrs.type === 'error') assert.equal(condition(gap), 'recipient-unavailable');

  // Once the liveness key expired and the reaper ran: carol left with her node (333), the others are told (110 + 399).
  for (const [c, nick] of [[alice, 'Alice'], [bob, 'Bob']] as const) {
    const gone = await c.next(isOccupantPresence(room, 'Carol', 'unavailable'), 10_000);
    assert.deepEqual(codes(gone), [333]);
    const self = await c.next((el) => isOccupantPresence(room, nick)(el) && codes(el).includes(399), 10_000);
    assert.deepEqual(codes(self).sort(), [110, 399]);
    assert.equal(item(self)?.attrs.affiliation, nick === 'Alice' ? 'owner' : 'member');
  }
  // In the room of node 1 carol left too (333); it stays where it is.
  assert.deepEqual(codes(await alice.next(isOccupantPresence(kept, 'Carol', 'unavailable'), 10_000)), [333]);
  await roomsBecome('n1', [{ room: roomJid(kept), owner: 'n1', occupants: 1 }, { room: roomJid(room), owner: heir as string, occupants: 2 }]);

  await alice.xmpp.send(groupchat(room, 'after the takeover'));
  await bob.next(isGroupchat(room, 'after the takeover'));
  await bob.xmpp.send(groupchat(room, 'and back'));
  await alice.next(isGroupchat(room, 'and back'));

  // Configuration and affiliations from PostgreSQL: still named, still members-only.
  const form = await iq(alice, 'get', xml('query', { xmlns: NS_MUC_OWNER }), roomJid(room));
  assert.equal(configField(form, 'muc#roomconfig_roomname'), 'Phoenix');
  assert.equal(configField(form, 'muc#roomconfig_membersonly'), '1');
  // History from the archive: dave (a member) joining now gets what was said before the crash.
  const dave = await user('n1', 'dave');
  await joined(dave, room, 'Dave');
  const history = dave.received.filter((el) => el.is('message') && el.getChild('delay') !== undefined).map((el) => el.getChildText('body'));
  assert.ok(history.includes('before the crash'), `history: ${history.join(', ')}`);
  assert.ok(history.includes('after the takeover'), `history: ${history.join(', ')}`);
});

test('a room created after a node died lands on a live node', { skip }, async () => {
  const room = later;
  const [alice, bob] = [await user('n1', 'alice', 'later'), await user('n2', 'bob', 'later')];
  await createRoom(alice, room, 'Alice');
  await joined(bob, room, 'Bob');
  await bob.xmpp.send(groupchat(room, 'on a live node'));
  await alice.next(isGroupchat(room, 'on a live node'));
  const owner = (await clusterRooms('n2')).find((r) => r.room === roomJid(room))?.owner;
  assert.equal(owner, rankNodes(roomJid(room), ['n1', 'n2'])[0]);
  // The unlocked room's configuration form answers too (an IQ through the owner).
  assert.equal((await configure(alice, room, { 'muc#roomconfig_roomname': 'After' })).attrs.type, 'result');
});

test('a node leaving (SIGTERM) hands its rooms over: the occupants on the other node stay, its own leave every room', { skip }, async () => {
  const room = 'handover';
  const owner = rankNodes(roomJid(room), ['n1', 'n2'])[0] as string;
  const other = owner === 'n1' ? 'n2' : 'n1';
  const [alice, bob] = [await user(owner, 'alice', 'leaving'), await user(other, 'bob', 'staying')];
  await createRoom(alice, room, 'Alice', { 'muc#roomconfig_roomname': 'Hand-over' });
  await joined(bob, room, 'Bob');
  assert.deepEqual((await clusterRooms(other)).find((r) => r.room === roomJid(room))?.owner, owner);

  assert.equal(await node(owner).stop(), 0);
  await bob.next(isOccupantPresence(room, 'Alice', 'unavailable'), 10_000);
  const self = await bob.next((el) => isOccupantPresence(room, 'Bob')(el) && codes(el).includes(399), 10_000);
  assert.deepEqual(codes(self).sort(), [110, 399]);
  // Every room is on the node left and holds only its users now (the leaving node's occupants dropped, 333);
  // the room of node 1 that had none of them ended.
  await roomsBecome(other, [later, room, phoenix].map((name) => ({ room: roomJid(name), owner: other, occupants: 1 })));
  await bob.xmpp.send(groupchat(room, 'still here'));
  await bob.next(isGroupchat(room, 'still here'));
  const form = await iq(bob, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), roomJid(room));
  assert.equal(form.getChild('query')?.getChild('identity')?.attrs.name, 'Hand-over');
});
