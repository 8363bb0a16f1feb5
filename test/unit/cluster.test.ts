/**
 * The cluster's pure parts and its replica (issue #9): casts survive the trip through Redis
 * as JSON with XML inside, the config key is checked, and the replicated session table
 * applies the events of other nodes by Redis's rules (the last writer holds the resource; a
 * removal only takes the entry of the node that sent it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'ltx';
import { Process } from '../../supervision/process.js';
import { parseJid } from '../../src/jid.js';
import { configSchema } from '../../src/config/schema.js';
import { decodeCast, encodeCast, parseSessionEvent, type SessionEntry } from '../../src/cluster/wire.js';
import { RedisSessions } from '../../src/cluster/redis_sessions.js';
import { ClusterSessionTable } from '../../actors/cluster_sessions.js';

test('a route cast crosses the wire with its JIDs and stanza intact', () => {
  const stanza = createElement('message', { to: 'bob@localhost', type: 'chat' }, createElement('body', null, 'a < b & "c"'));
  const text = encodeCast(parseJid('bob@localhost/desk'), { type: 'route', from: parseJid('alice@localhost/x'), to: parseJid('bob@localhost'), stanza });
  const { jid, msg } = decodeCast(text);
  assert.equal(jid.toString(), 'bob@localhost/desk');
  assert.equal(msg.type, 'route');
  assert.equal(String(msg.from), 'alice@localhost/x');
  assert.equal(String(msg.to), 'bob@localhost');
  assert.equal(String(msg.stanza), stanza.toString());
  assert.deepEqual(decodeCast(encodeCast(parseJid('a@b/c'), { type: 'replaced' })).msg, { type: 'replaced' });
});

test('anything else on a channel is refused', () => {
  assert.throws(() => decodeCast('{"jid":"a@b/c"}'), /not a cast envelope/);
  assert.throws(() => decodeCast('not json'));
  assert.throws(() => parseSessionEvent('{"op":"drop","jid":"a@b/c"}'), /not a session event/);
});

test('cluster: a redis URL is required, the TTL defaults to 5 s', () => {
  assert.equal(configSchema.parse({}).cluster, null);
  assert.deepEqual(configSchema.parse({ cluster: { redis_url: 'redis://127.0.0.1:6379' } }).cluster, { redis_url: 'redis://127.0.0.1:6379', liveness_ttl_s: 5 });
  assert.equal(configSchema.safeParse({ cluster: { redis_url: 'http://x' } }).success, false);
  assert.equal(configSchema.safeParse({ cluster: { redis_url: 'redis://x', ttl: 1 } }).success, false);
});

const entry = (node: string, priority: number | null = null): SessionEntry => ({ node, since: 1, priority, presence: null, info: {} });

test('the replica: remote sessions join the table, a later writer wins, a removal takes only its own entry', () => {
  // Never connected: applying events writes nothing to Redis.
  const table = new ClusterSessionTable(() => undefined, new RedisSessions('redis://127.0.0.1:1', 'me'), () => undefined);
  const bob = parseJid('bob@localhost/desk');
  table.applyEvent({ op: 'set', jid: 'bob@localhost/desk', entry: entry('n2', 5) });
  assert.equal(table.get(bob)?.node, 'n2');
  assert.equal(table.get(bob)?.priority, 5);
  assert.equal(table.size, 0, 'remote sessions are not counted as ours');
  assert.equal(table.local(bob), undefined);

  table.applyEvent({ op: 'set', jid: 'bob@localhost/desk', entry: entry('n3') });
  assert.equal(table.get(bob)?.node, 'n3', 'n3 took the resource');
  table.applyEvent({ op: 'del', jid: 'bob@localhost/desk', node: 'n2' });
  assert.equal(table.get(bob)?.node, 'n3', "n2's late removal leaves n3's session");

  table.applyEvent({ op: 'set', jid: 'bob@localhost/phone', entry: entry('me') });
  assert.equal(table.get(parseJid('bob@localhost/phone')), undefined, 'our own events are already applied');
  assert.deepEqual(table.resources(bob.bare()).map((s) => s.jid.toString()), ['bob@localhost/desk']);

  const replicator = new Process('cluster');
  table.setReplicator(replicator);
  table.dropOwner(replicator, 'killed');
  assert.equal(table.get(bob), undefined, 'the remote sessions go with the cluster actor');
});
