/**
 * mod_muc in a cluster (issue #9): each room has one owner node, as ejabberd keeps one room
 * process per room in the cluster (`muc_online_room`). A stanza for a room goes to its process
 * here if this node runs it, else to the owner named by the room's claim in Redis, through the
 * owner's node channel, where the owner's mod_muc hands it to the room. A room nobody holds is
 * claimed by the first node of its rendezvous order over the live nodes (the stanza is handed
 * to that node, which claims it); the claim in Redis decides a race. A room whose owner died is
 * taken over by the next node of its order (the cluster actor asks it, `room_take_over`).
 */
import type { Element } from 'ltx';
import type { Process } from '../../supervision/process.js';
import { whereis } from '../../supervision/registry.js';
import type { Jid } from '../../src/jid.js';
import { stanzaError } from '../../src/stanza/error.js';
import { rankNodes } from '../../src/cluster/room_placement.js';
import { encodeRoomMessage, type RoomMessage } from '../../src/cluster/wire.js';
import type { RedisRooms } from '../../src/cluster/redis_rooms.js';
import type { RedisSessions } from '../../src/cluster/redis_sessions.js';
import { childLog } from '../../src/log.js';
import { bounce, type RoutingContext } from '../router.js';
import { roomName, type NodeDown, type RoomRoute } from './mod_muc_room.js';

const log = childLog({ actor: 'mod_muc' });

/** A stanza is handed on at most this often (the claim moved meanwhile), then bounced. */
const MAX_HOPS = 2;

export interface MucCluster {
  rooms: RedisRooms;
  /** Its `cast` publishes on a node's channel. */
  sessions: RedisSessions;
}

/** What mod_muc does with rooms on this node. */
export interface LocalRooms {
  routing: RoutingContext;
  /** May this stanza start the room here (a presence, a room stored or kept on this node)? */
  mayStart(to: Jid, stanza: Element): Promise<boolean>;
  /** The room's process, started if `known` or {@link mayStart}; else the sender got an error. */
  find(from: Jid, to: Jid, stanza: Element, known: boolean): Promise<Process | undefined>;
  /** Starts the room's process (it takes over what its last owner left in Redis). */
  start(room: Jid): Promise<Process>;
  /** The service's rooms running here. */
  running(): Process[];
}

/** The node that should run the room now, or null when there is no room and the stanza may not create one. */
async function ownerOf(c: MucCluster, local: LocalRooms, to: Jid, stanza: Element, hops: number): Promise<string | null> {
  const room = to.bareString();
  const owner = await c.rooms.owner(room);
  if (owner !== null) return owner;
  if (!(await local.mayStart(to, stanza)) && !(await c.rooms.saved(room))) return null;
  // Handed here by a node that ranked us first: we claim it rather than hand it on again.
  const first = hops > 0 ? c.rooms.node : (rankNodes(room, await c.rooms.liveNodes())[0] ?? c.rooms.node);
  return first === c.rooms.node ? c.rooms.claim(room) : first;
}

/** A stanza for `room@service[/nick]`: to the room here, or to its owner node. */
export async function routeInCluster(c: MucCluster, local: LocalRooms, from: Jid, to: Jid, stanza: Element, hops: number): Promise<void> {
  const msg: RoomRoute = { type: 'route', from, to, stanza };
  const running = whereis(roomName(to));
  if (running) return void running.cast(msg);
  let owner: string | null;
  try {
    owner = await ownerOf(c, local, to, stanza, hops);
  } catch (err) {
    log.warn({ err: (err as Error).message, room: to.bareString() }, 'no owner for the room');
    return bounce(local.routing, from, to, stanza, stanzaError('recipient-unavailable', "the room's owner cannot be found now; try again"));
  }
  if (owner === null) return bounce(local.routing, from, to, stanza, stanzaError('item-not-found', 'no such room'));
  if (owner === c.rooms.node) {
    const room = await local.find(from, to, stanza, true);
    if (room) room.cast(msg);
    else c.rooms.release(to.bareString());
    return;
  }
  // Its owner just died (not yet known dead): the room moves to another node within the liveness TTL.
  const unreachable = (): Promise<void> =>
    bounce(local.routing, from, to, stanza, stanzaError('recipient-unavailable', "the room's node is unreachable; try again in a few seconds"));
  if (hops >= MAX_HOPS) return unreachable();
  // Not awaited: the sender goes on while Redis carries it (one connection keeps a sender's stanzas in order).
  c.sessions.cast(owner, encodeRoomMessage({ type: 'room_route', from, to, stanza, hops: hops + 1 }))
    .then((receivers) => (receivers > 0 ? undefined : unreachable()), unreachable)
    .catch((err: Error) => log.warn({ err: err.message, room: to.bareString() }, 'bounce to the sender failed'));
}

/** The cluster actor asks this node to take a room over (its owner died or left): claimed, started, woken. */
async function takeOverRoom(c: MucCluster, local: LocalRooms, room: Jid): Promise<void> {
  if (whereis(roomName(room))) return;
  if ((await c.rooms.claim(room.bareString())) !== c.rooms.node) return; // a live node has it already
  // Woken, it ends at once if none of its occupants is left.
  (await local.start(room)).cast({ type: 'wake' });
}

/** The `muc_room_forwarded` hook: what another node (or the reaper here) sends to this service's rooms. */
export function onRoomMessage(c: MucCluster, local: LocalRooms, service: string, msg: RoomMessage): Promise<void> | undefined {
  switch (msg.type) {
    case 'room_route': return msg.to.domain === service ? routeInCluster(c, local, msg.from, msg.to, msg.stanza, msg.hops) : undefined;
    case 'room_take_over':
      // Not awaited: the cluster actor goes on delivering while rooms load (stanzas for a room wait in its mailbox).
      if (msg.room.domain === service) {
        takeOverRoom(c, local, msg.room).catch((err: Error) => log.error({ err: err.message, room: msg.room.toString() }, 'room take-over failed'));
      }
      return undefined;
    case 'room_node_down':
      // Its sessions could not say they left (their presence died with them): each room drops them.
      for (const room of local.running()) room.cast({ type: 'node_down', node: msg.node } satisfies NodeDown);
      return undefined;
  }
}
