/**
 * The MUC room scripts of the cluster (issue #9) against a real Redis: of nodes racing to
 * claim a room exactly one wins and every one learns who; a claim held by a node whose
 * liveness key is gone counts for nothing; only the owner releases; the reaper gets a dead
 * node's rooms back once, their claims cleared and their occupants kept for the next owner.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisRooms } from '../../src/cluster/redis_rooms.js';
import { REDIS_MISSING, startRedis, type TestRedis } from '../support/redis.js';

let server: TestRedis;
let redis: Redis;
const skip = REDIS_MISSING;
const ROOM = 'lobby@conference.localhost';

/** A node of the cluster: member, alive (liveness key), with its room table. */
async function member(name: string): Promise<RedisRooms> {
  await redis.sadd('troupe:nodes', name);
  await redis.set(`troupe:alive:${name}`, '{}');
  return new RedisRooms(redis, name);
}

before(async () => {
  if (skip) return;
  server = await startRedis();
  redis = new Redis(server.url);
});

after(async () => {
  await redis?.quit();
  await server?.stop();
});

test('nodes racing for a room: one owner, known to all; the others cannot take it while it lives', { skip }, async () => {
  const nodes = await Promise.all(['a', 'b', 'c'].map(member));
  const owners = await Promise.all(nodes.map((n) => n.claim(ROOM)));
  assert.equal(new Set(owners).size, 1);
  const owner = owners[0] as string;
  assert.deepEqual(await Promise.all(nodes.map((n) => n.owner(ROOM))), [owner, owner, owner]);
  assert.deepEqual(await redis.smembers(`troupe:node_rooms:${owner}`), [ROOM]);
  assert.deepEqual((await nodes[0]!.liveNodes()).sort(), ['a', 'b', 'c']);

  // Only the owner releases it.
  const other = nodes.find((n) => n.node !== owner) as RedisRooms;
  other.release(ROOM);
  assert.equal(await other.owner(ROOM), owner);
  nodes.find((n) => n.node === owner)!.release(ROOM);
  assert.equal(await other.owner(ROOM), null);
  assert.equal(await redis.exists(`troupe:room:${ROOM}`), 0);
  await redis.flushall();
});

test("a dead owner's claim: no owner, taken by the next claim; the reaper gets its rooms once, occupants kept", { skip }, async () => {
  const [a, b] = [await member('a'), await member('b')];
  assert.equal(await a.claim(ROOM), 'a');
  a.write(ROOM, '{"locked":false}', new Map([['Alice', '{"jid":"alice@localhost/x"}']]), []);
  assert.equal(await b.reap('a'), null, 'a is alive');

  await redis.del('troupe:alive:a');
  assert.equal(await b.owner(ROOM), null);
  assert.equal(await b.saved(ROOM), true);
  assert.deepEqual(await b.reap('a'), [ROOM]);
  assert.deepEqual(await b.reap('a'), []);
  const saved = await b.load(ROOM);
  assert.deepEqual([saved.state, [...saved.occupants]], ['{"locked":false}', [['Alice', '{"jid":"alice@localhost/x"}']]]);
  assert.equal(await b.claim(ROOM), 'b');
  assert.deepEqual((await b.list()).map((r) => [r.room, r.owner, r.occupants]), [[ROOM, 'b', 1]]);

  // Not reaped yet, and a stale claim: the next claim takes it all the same.
  await redis.del('troupe:alive:b');
  const c = await member('c');
  assert.equal(await c.claim(ROOM), 'c');
  assert.deepEqual(await redis.smembers('troupe:node_rooms:b'), []);
  assert.deepEqual(await redis.smembers('troupe:node_rooms:c'), [ROOM]);
});
