/**
 * The cluster's session table in Redis (issue #9), like ejabberd_sm_redis: per user a hash
 * `resource → SessionEntry`, per node the set of its full JIDs, per node a liveness key with
 * a TTL. Every write is one Lua script that also publishes the change on the events channel,
 * so all nodes see the changes in the order Redis applied them. Writes are sent without
 * waiting (one connection keeps them in order); reads are for start-up and troupectl.
 */
import { Redis } from 'ioredis';
import type { Jid } from '../jid.js';
import { keys, type SessionEntry, type SessionEvent } from './wire.js';
import { log } from '../log.js';
import type { ClusterNodeStatus } from '../control/protocol.js';

/**
 * Takes `resource` for this node. If another node held it, that node loses it (its set, and a
 * `replaced` cast on its channel): the cluster-wide resource conflict, decided by Redis alone.
 */
const OPEN = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local holder = cjson.decode(old).node
  if holder ~= ARGV[3] then
    redis.call('SREM', ARGV[5] .. holder, ARGV[4])
    redis.call('PUBLISH', ARGV[6] .. holder, ARGV[7])
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[8], ARGV[9])`;

/** Updates the entry only while this node still holds the resource. */
const UPDATE = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old and cjson.decode(old).node == ARGV[3] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('PUBLISH', ARGV[4], ARGV[5])
end`;

/** Removes the entry only while this node still holds it (a replaced session leaves the new one). */
const CLOSE = `
redis.call('SREM', KEYS[2], ARGV[3])
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old and cjson.decode(old).node == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('PUBLISH', ARGV[4], ARGV[5])
end`;

/**
 * Removes every session of a node whose liveness key is gone (dead, or leaving) and returns
 * them (`jid, entry, jid, entry…`); false if it is alive again. Idempotent: every node may run
 * it for the same dead node, and only one gets the sessions back.
 */
const REAP = `
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local removed = {}
local jids = redis.call('SMEMBERS', KEYS[1])
for _, full in ipairs(jids) do
  local slash = string.find(full, '/', 1, true)
  local key = ARGV[2] .. string.sub(full, 1, slash - 1)
  local resource = string.sub(full, slash + 1)
  local cur = redis.call('HGET', key, resource)
  if cur and cjson.decode(cur).node == ARGV[1] then
    redis.call('HDEL', key, resource)
    redis.call('PUBLISH', ARGV[3], cjson.encode({op = 'del', jid = full, node = ARGV[1]}))
    table.insert(removed, full)
    table.insert(removed, cur)
  end
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[3], ARGV[1])
return removed`;

/** A session as Redis held it, e.g. one reaped with its dead node. */
export interface StoredSession {
  jid: string;
  entry: SessionEntry;
}

const event = (e: SessionEvent): string => JSON.stringify(e);

export class RedisSessions {
  /** Commands; the subscriber is a second connection (a subscribed one can do nothing else). */
  readonly redis: Redis;
  private left = false;

  constructor(url: string, readonly node: string) {
    this.redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null });
    this.redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis'));
  }

  connect(): Promise<void> {
    return this.redis.status === 'wait' ? this.redis.connect() : Promise.resolve();
  }

  /** A new connection to the same server, for SUBSCRIBE. */
  subscriber(): Redis {
    const sub = this.redis.duplicate();
    sub.on('error', (err: Error) => log.warn({ err: err.message }, 'redis subscriber'));
    return sub;
  }

  open(jid: Jid, entry: SessionEntry): void {
    const replaced = JSON.stringify({ jid: jid.toString(), msg: { type: 'replaced' } });
    this.send(this.redis.eval(
      OPEN, 2, keys.sessions(jid.bareString()), keys.nodeSessions(this.node),
      jid.resource, JSON.stringify(entry), this.node, jid.toString(),
      keys.nodeSessions(''), keys.nodeChannel(''), replaced,
      keys.sessionEvents, event({ op: 'set', jid: jid.toString(), entry }),
    ));
  }

  update(jid: Jid, entry: SessionEntry): void {
    this.send(this.redis.eval(
      UPDATE, 1, keys.sessions(jid.bareString()),
      jid.resource, JSON.stringify(entry), this.node,
      keys.sessionEvents, event({ op: 'set', jid: jid.toString(), entry }),
    ));
  }

  close(jid: Jid): void {
    this.send(this.redis.eval(
      CLOSE, 2, keys.sessions(jid.bareString()), keys.nodeSessions(this.node),
      jid.resource, this.node, jid.toString(),
      keys.sessionEvents, event({ op: 'del', jid: jid.toString(), node: this.node }),
    ));
  }

  /** PUBLISH on `node`'s channel; resolves with how many subscribers got it (0: the node is gone). */
  cast(node: string, payload: string): Promise<number> {
    return this.redis.publish(keys.nodeChannel(node), payload);
  }

  /**
   * Refreshes this node's liveness key; true when the key had expired meanwhile (Redis
   * unreachable for longer than the TTL): the others have reaped our sessions.
   */
  async heartbeat(ttlMs: number, info: string): Promise<boolean> {
    const [[, previous]] = (await this.redis.multi()
      .set(keys.alive(this.node), info, 'PX', ttlMs, 'GET')
      .sadd(keys.nodes, this.node)
      .exec()) as [[Error | null, string | null], unknown];
    return previous === null;
  }

  /** One session as Redis has it now. */
  async session(jid: Jid): Promise<SessionEntry | null> {
    const value = await this.redis.hget(keys.sessions(jid.bareString()), jid.resource);
    return value === null ? null : (JSON.parse(value) as SessionEntry);
  }

  /** Nodes in the cluster set whose liveness key is gone. */
  async deadNodes(): Promise<string[]> {
    const nodes = await this.redis.smembers(keys.nodes);
    const alive = await Promise.all(nodes.map((n) => this.redis.exists(keys.alive(n))));
    return nodes.filter((n, i) => n !== this.node && alive[i] === 0);
  }

  /** Removes the sessions of a dead node and returns them; null if it is alive again. */
  async reap(node: string): Promise<StoredSession[] | null> {
    const removed = (await this.redis.eval(
      REAP, 3, keys.nodeSessions(node), keys.alive(node), keys.nodes,
      node, keys.sessions(''), keys.sessionEvents,
    )) as string[] | null;
    if (removed === null) return null;
    const sessions: StoredSession[] = [];
    for (let i = 0; i < removed.length; i += 2) sessions.push({ jid: removed[i] as string, entry: JSON.parse(removed[i + 1] as string) as SessionEntry });
    return sessions;
  }

  /** Leaving the cluster (SIGTERM), or taking over the name of a dead run: the liveness key goes, then the sessions left. */
  async leave(): Promise<StoredSession[]> {
    await this.redis.del(keys.alive(this.node));
    return (await this.reap(this.node)) ?? [];
  }

  /** Every session in Redis, for a node that (re)starts its replica. */
  async snapshot(): Promise<StoredSession[]> {
    const out: StoredSession[] = [];
    const prefix = keys.sessions('');
    for await (const batch of this.redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) {
      for (const key of batch) {
        const bare = key.slice(prefix.length);
        for (const [resource, value] of Object.entries(await this.redis.hgetall(key))) {
          out.push({ jid: `${bare}/${resource}`, entry: JSON.parse(value) as SessionEntry });
        }
      }
    }
    return out;
  }

  async status(): Promise<ClusterNodeStatus[]> {
    const nodes = (await this.redis.smembers(keys.nodes)).sort();
    return Promise.all(nodes.map(async (name) => {
      const [ttl, sessions] = await Promise.all([this.redis.pttl(keys.alive(name)), this.redis.scard(keys.nodeSessions(name))]);
      return { name, ttl_ms: ttl >= 0 ? ttl : null, sessions, self: name === this.node };
    }));
  }

  async quit(): Promise<void> {
    this.left = true;
    await this.redis.quit().catch(() => undefined);
  }

  /** A write that fails is logged: the heartbeat's re-announce repairs what it missed. */
  private send(pending: Promise<unknown>): void {
    pending.catch((err: Error) => {
      // Sessions still closing after the node left the cluster: `leave` already removed them.
      if (!this.left) log.warn({ err: err.message }, 'redis session write failed');
    });
  }
}
