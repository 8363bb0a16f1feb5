/**
 * A Troupe cluster end to end (issue #9): two nodes sharing a real Redis (sessions) and a
 * real PostgreSQL (accounts, rosters, offline messages). Users on different nodes subscribe
 * to each other and exchange presence and messages, a roster push and carbons reach the
 * user's resource on the other node, a resource is taken cluster-wide, a node killed with -9
 * is reaped by the others while nothing sent to its users is lost, and a node leaving with
 * SIGTERM closes its streams with `system-shutdown` and cleans up.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startServer, type TestServer } from '../support/server.js';
import { rawSession, xml, type TestClient } from '../support/xmpp.js';
import type { Element } from 'ltx';
import { approveSubscription, iq, isPresence, isPush, items, login, online, pushedItem, register, rosterGet, rosterSet } from '../support/im.js';
import { REDIS_MISSING, startRedis, type TestRedis } from '../support/redis.js';
import { postgresSkip, startPostgres, type TestPostgres } from '../support/postgres.js';
import { eventually } from '../support/worker.js';
import type { ClusterNodeStatus } from '../../src/control/protocol.js';

let redis: TestRedis;
let postgres: TestPostgres;
let postgresUrl: string;
const nodes: TestServer[] = [];
let n1: TestServer;
let n2: TestServer;

async function clusterNode(name: string): Promise<TestServer> {
  const node = await startServer({
    storage: 'postgres',
    postgres_url: postgresUrl,
    cluster: { redis_url: redis.url, node_name: name, liveness_ttl_s: 1 },
    c2s: { stream_management: { enabled: false } },
  });
  nodes.push(node);
  return node;
}

async function clusterStatus(node: TestServer): Promise<ClusterNodeStatus[]> {
  const r = await node.ctl(['--json', 'cluster', 'status']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ClusterNodeStatus[];
}

async function connectedUsers(node: TestServer): Promise<string[]> {
  const r = await node.ctl(['--json', 'connected-users']);
  return JSON.parse(r.stdout) as string[];
}

const NS_CARBONS = 'urn:xmpp:carbons:2';
const carried = (el: Element, dir: 'sent' | 'received'): Element | undefined =>
  el.getChild(dir, NS_CARBONS)?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message');
const chat = (to: string, body: string) => xml('message', { to, type: 'chat' }, xml('body', {}, body));
const isChat = (body: string) => (el: { name: string; getChildText(n: string): string | null }) => el.name === 'message' && el.getChildText('body') === body;

/**
 * A message from `from` to `to` on the other node: it travels after every session change
 * `from`'s node published before it (one Redis connection), so `to`'s node has seen them.
 */
async function inOrder(from: TestClient, to: TestClient, toJid: string): Promise<void> {
  const body = `sync ${Math.random()}`;
  await from.xmpp.send(chat(toJid, body));
  await to.next(isChat(body));
}

const skip = REDIS_MISSING || postgresSkip;

before(async () => {
  if (skip) return;
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  postgresUrl = await postgres.createDatabase('troupe');
  // Both boot at once on the empty database (the migrations run once).
  [n1, n2] = await Promise.all([clusterNode('n1'), clusterNode('n2')]);
  await register(n1, 'alice', 'bob', 'carol', 'dave');
});

after(async () => {
  for (const node of nodes) await node.stop().catch(() => undefined);
  await redis?.stop();
  await postgres?.stop();
});

test('cluster status: both nodes alive', { skip }, async () => {
  const status = await clusterStatus(n1);
  assert.deepEqual(status.map((n) => [n.name, n.self, n.ttl_ms !== null]), [['n1', true, true], ['n2', false, true]]);
  const r = await n2.ctl(['cluster', 'status']);
  assert.match(r.stdout, /^n1\talive \(ttl [\d.]+s\)\t0 sessions\nn2 \(this node\)\talive/);
});

test('alice on node 1 and bob on node 2 subscribe to each other', { skip }, async () => {
  const a = await online(n1, 'alice', 'sub');
  const b = await online(n2, 'bob', 'sub');
  await rosterGet(a);
  await rosterGet(b);
  await approveSubscription(a, 'alice@localhost', b, 'bob@localhost');
  await approveSubscription(b, 'bob@localhost', a, 'alice@localhost');
  assert.equal(items(await rosterGet(a)).get('bob@localhost')?.attrs.subscription, 'both');
  assert.equal(items(await rosterGet(b)).get('alice@localhost')?.attrs.subscription, 'both');
  await Promise.all([a.stop(), b.stop()]);
});

test('alice on node 1 and bob on node 2: presence both ways, then messages both ways', { skip }, async () => {
  const a = await online(n1, 'alice', 'desk');
  const b = await login(n2, 'bob', 'desk');
  await b.xmpp.send(xml('presence'));
  // bob's initial presence reaches alice on the other node; his probe brings alice's back.
  await a.next(isPresence('bob@localhost/desk'));
  await b.next(isPresence('alice@localhost/desk'));
  assert.deepEqual((await clusterStatus(n2)).map((n) => n.sessions), [1, 1]);

  await a.xmpp.send(chat('bob@localhost', 'hello from node 1'));
  const got = await b.next(isChat('hello from node 1'));
  assert.equal(got.attrs.from, 'alice@localhost/desk');
  await b.xmpp.send(chat('alice@localhost/desk', 'hello from node 2'));
  assert.equal((await a.next(isChat('hello from node 2'))).attrs.from, 'bob@localhost/desk');

  // Going unavailable is broadcast across too.
  await b.stop();
  await a.next(isPresence('bob@localhost/desk', 'unavailable'));
  await a.stop();
});

test('the cluster actor crashed on node 2 restarts with the sessions it knew: delivery goes on', { skip }, async () => {
  const a = await login(n1, 'alice', 'before-crash');
  const crash = await n2.ctl(['crash', 'cluster']);
  assert.equal(crash.code, 0, crash.stderr);
  // Restarted once its init (subscription, snapshot of Redis) is done.
  await eventually(async () => {
    const tree = JSON.parse((await n2.ctl(['--json', 'tree'])).stdout) as { children?: Array<{ id: string; restarts: number; status: string }> };
    const cluster = tree.children?.find((c) => c.id === 'cluster');
    return cluster?.restarts === 1 && cluster.status === 'running';
  }, 'cluster restarted on node 2');
  const b = await login(n2, 'bob', 'after-crash');
  // alice's session on node 1 came back from the snapshot: a message to her full JID reaches her.
  await inOrder(b, a, 'alice@localhost/before-crash');
  await inOrder(a, b, 'bob@localhost/after-crash');
  await Promise.all([a.stop(), b.stop()]);
});

test("a roster set on node 1 is pushed to the same user's resource on node 2", { skip }, async () => {
  const desk = await login(n1, 'alice', 'desk');
  const phone = await login(n2, 'alice', 'phone');
  await rosterGet(desk);
  await rosterGet(phone);
  await inOrder(phone, desk, 'alice@localhost/desk');
  await rosterSet(desk, { jid: 'carol@localhost', name: 'Carol' });
  const push = await phone.next(isPush('carol@localhost'));
  assert.equal(push.attrs.to, 'alice@localhost/phone');
  assert.equal(pushedItem(push).attrs.name, 'Carol');
  await Promise.all([desk.stop(), phone.stop()]);
});

test('carbons across nodes: what alice sends and receives on node 1 is copied to her resource on node 2', { skip }, async () => {
  const desk = await login(n1, 'alice', 'desk');
  const phone = await login(n2, 'alice', 'phone');
  const bob = await online(n2, 'bob', 'carbons');
  for (const c of [desk, phone]) {
    await c.xmpp.send(xml('presence'));
    await iq(c, 'set', xml('enable', { xmlns: NS_CARBONS }));
  }
  await inOrder(phone, desk, 'alice@localhost/desk');
  await desk.xmpp.send(chat('bob@localhost/carbons', 'sent from the desk'));
  await bob.next(isChat('sent from the desk'));
  const sent = await phone.next((el) => el.getChild('sent', NS_CARBONS) !== undefined);
  assert.equal(sent.attrs.to, 'alice@localhost/phone');
  assert.equal(carried(sent, 'sent')?.getChildText('body'), 'sent from the desk');

  await bob.xmpp.send(chat('alice@localhost/desk', 'to the desk'));
  await desk.next(isChat('to the desk'));
  const received = await phone.next((el) => el.getChild('received', NS_CARBONS) !== undefined);
  assert.equal(carried(received, 'received')?.getChildText('body'), 'to the desk');
  await Promise.all([desk.stop(), phone.stop(), bob.stop()]);
});

test('a resource is taken cluster-wide: the session on node 1 gets <conflict/>', { skip }, async () => {
  const old = await rawSession(n1.ports.c2s_tls, 'carol', 'carol-pw', 'same');
  const fresh = await login(n2, 'carol', 'same');
  const text = await old.read((t) => t.includes('</stream:stream>'));
  assert.match(text, /<conflict xmlns=['"]urn:ietf:params:xml:ns:xmpp-streams['"]/);
  await old.closed;
  await eventually(async () => !(await connectedUsers(n1)).includes('carol@localhost/same'), 'node 1 dropped carol');
  assert.deepEqual(await connectedUsers(n2), ['carol@localhost/same']);
  await eventually(async () => (await clusterStatus(n1)).map((n) => n.sessions).join() === '0,1', 'Redis has carol on node 2 only');
  await fresh.stop();
});

test('kill -9 node 1: node 2 reaps it, tells its contacts, and stores what its users are sent', { skip }, async () => {
  await online(n1, 'alice', 'doomed');
  const bob = await online(n2, 'bob', 'desk');
  await bob.next(isPresence('alice@localhost/doomed'));
  await n1.kill9();
  // Right away: node 2 still lists alice's session on node 1; nobody receives the cast, so it goes offline.
  await bob.xmpp.send(chat('alice@localhost', 'first, before the reaping'));
  // The reaper runs sm_remove_connection for the dead node's sessions: alice's contacts see her go.
  await bob.next(isPresence('alice@localhost/doomed', 'unavailable'), 10_000);
  assert.ok((await clusterStatus(n2)).every((n) => n.name !== 'n1'), 'node 1 reaped');
  await bob.xmpp.send(chat('alice@localhost', 'second, after the reaping'));
  await bob.stop();

  const back = await login(n2, 'alice', 'back');
  await back.xmpp.send(xml('presence'));
  await back.next(isChat('first, before the reaping'));
  await back.next(isChat('second, after the reaping'));
  await back.stop();
});

test('node 2 leaving (SIGTERM): its clients get system-shutdown and it leaves nothing in Redis', { skip }, async () => {
  const dave = await rawSession(n2.ports.c2s_tls, 'dave', 'dave-pw', 'leaving');
  assert.equal(await n2.stop(), 0);
  const text = await dave.read((t) => t.includes('</stream:stream>'));
  assert.match(text, /<system-shutdown xmlns=['"]urn:ietf:params:xml:ns:xmpp-streams['"]/);
  // Node 1 was reaped above; node 2 removed its sessions, its liveness key and itself.
  const redisClient = new Redis(redis.url);
  assert.deepEqual(await redisClient.keys('troupe:*'), []);
  await redisClient.quit();
});
