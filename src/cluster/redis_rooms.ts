/**
 * The cluster's MUC rooms in Redis (issue #9), like ejabberd's `muc_online_room` table: per room
 * one hash `troupe:room:ROOM` with its owner node (the claim), its state and its occupants (as
 * the owner last wrote them), and per node the set of rooms it owns. A claim held by a node
 * whose liveness key is gone counts for nothing: the next node takes the room, with its
 * occupants, even before the reaper cleared the claim. Writes are sent without waiting (one
 * connection keeps them in order after the claim); reads are for routing and take-over.
 */
import type { Redis } from 'ioredis';
import { keys } from './wire.js';
import { log } from '../log.js';

const OWNER_FIELD = 'owner';
const STATE_FIELD = 'state';
const OCCUPANT_PREFIX = 'occupant:';

/** The owner, if its liveness key is there. */
const OWNER = `
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and redis.call('EXISTS', ARGV[1] .. owner) == 1 then return owner end
return false`;

/** Takes the room for ARGV[1] unless a live node holds it; returns the owner after. */
const CLAIM = `
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner == ARGV[1] then return owner end
if owner and redis.call('EXISTS', ARGV[2] .. owner) == 1 then return owner end
if owner then redis.call('SREM', ARGV[3] .. owner, ARGV[4]) end
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
redis.call('SADD', KEYS[2], ARGV[4])
return ARGV[1]`;

/** The room ended on its owner: nothing of it is left (another node's claim is left alone). */
const RELEASE = `
redis.call('SREM', KEYS[2], ARGV[2])
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then redis.call('DEL', KEYS[1]) end`;

/**
 * Clears the claims of a node whose liveness key is gone and returns its rooms (state and
 * occupants stay, for the node that takes each over); false if it is alive again. Idempotent.
 */
const REAP = `
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local orphaned = {}
for _, room in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[2] .. room
  if redis.call('HGET', key, 'owner') == ARGV[1] then
    redis.call('HDEL', key, 'owner')
    table.insert(orphaned, room)
  end
end
redis.call('DEL', KEYS[1])
return orphaned`;

/** Members of the cluster whose liveness key is there. */
const LIVE = `
local live = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. node) == 1 then table.insert(live, node) end
end
return live`;

/** What the owner of a room last wrote: its state and its occupants, by nick (JSON strings). */
export interface SavedRoom {
  state: string | null;
  occupants: Map<string, string>;
}

/** One room of the cluster, for disco and `troupectl cluster rooms`. */
export interface ClusterRoom {
  room: string;
  owner: string | null;
  state: string | null;
  occupants: number;
}

/** A read that Redis does not answer in this time fails (ioredis would queue it until Redis is back): a stanza gets an error, not a hang. */
const READ_TIMEOUT_MS = 5000;

function timely<T>(pending: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis did not answer within ${READ_TIMEOUT_MS} ms`)), READ_TIMEOUT_MS);
  });
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
}

export class RedisRooms {
  constructor(private readonly redis: Redis, readonly node: string) {}

  async owner(room: string): Promise<string | null> {
    return (await timely(this.redis.eval(OWNER, 1, keys.room(room), keys.alive('')))) as string | null;
  }

  /** This node takes `room` unless a live node holds it; resolves with the owner. */
  async claim(room: string): Promise<string> {
    return (await timely(this.redis.eval(CLAIM, 2, keys.room(room), keys.nodeRooms(this.node), this.node, keys.alive(''), keys.nodeRooms(''), room))) as string;
  }

  release(room: string): void {
    this.send(this.redis.eval(RELEASE, 2, keys.room(room), keys.nodeRooms(this.node), this.node, room));
  }

  async liveNodes(): Promise<string[]> {
    return (await timely(this.redis.eval(LIVE, 1, keys.nodes, keys.alive('')))) as string[];
  }

  /** Whether a room has a state or occupants saved (an owner wrote them and is gone, or is this node). */
  async saved(room: string): Promise<boolean> {
    return (await timely(this.redis.hexists(keys.room(room), STATE_FIELD))) === 1;
  }

  async load(room: string): Promise<SavedRoom> {
    const fields = await timely(this.redis.hgetall(keys.room(room)));
    const occupants = new Map<string, string>();
    for (const [field, value] of Object.entries(fields)) {
      if (field.startsWith(OCCUPANT_PREFIX)) occupants.set(field.slice(OCCUPANT_PREFIX.length), value);
    }
    return { state: fields[STATE_FIELD] ?? null, occupants };
  }

  /** The owner's changes: state (if changed), occupants set and gone, in one transaction. */
  write(room: string, state: string | null, set: Map<string, string>, gone: string[]): void {
    const key = keys.room(room);
    const tx = this.redis.multi();
    if (state !== null) tx.hset(key, STATE_FIELD, state);
    if (set.size) tx.hset(key, Object.fromEntries([...set].map(([nick, o]) => [OCCUPANT_PREFIX + nick, o])));
    if (gone.length) tx.hdel(key, ...gone.map((nick) => OCCUPANT_PREFIX + nick));
    this.send(tx.exec());
  }

  /** The rooms of a dead (or leaving) node, their claims cleared; null if it is alive. */
  async reap(node: string): Promise<string[] | null> {
    return (await timely(this.redis.eval(REAP, 2, keys.nodeRooms(node), keys.alive(node), node, keys.room('')))) as string[] | null;
  }

  /** Every room the cluster's members own. */
  list(): Promise<ClusterRoom[]> {
    return timely(this.listAll());
  }

  private async listAll(): Promise<ClusterRoom[]> {
    const nodes = await this.redis.smembers(keys.nodes);
    const rooms = (await Promise.all(nodes.map((n) => this.redis.smembers(keys.nodeRooms(n))))).flat().sort();
    return Promise.all(rooms.map(async (room) => {
      const fields = await this.redis.hgetall(keys.room(room));
      const occupants = Object.keys(fields).filter((f) => f.startsWith(OCCUPANT_PREFIX)).length;
      return { room, owner: fields[OWNER_FIELD] ?? null, state: fields[STATE_FIELD] ?? null, occupants };
    }));
  }

  /** A write that fails is logged, as a session write is (Redis down: ioredis retries it). */
  private send(pending: Promise<unknown>): void {
    pending.catch((err: Error) => log.warn({ err: err.message }, 'redis room write failed'));
  }
}
