/**
 * mod_muc_room: one gen_server per XEP-0045 room, registered as `muc_room:<room@service>`
 * (so `troupectl crash muc_room:room@service` reaches it) under `muc_room_sup`
 * (simple_one_for_one, transient), as ejabberd runs one mod_muc_room process per room.
 * Started on demand by mod_muc; it ends (normal) when its last occupant leaves or it is
 * destroyed. Its state lives in the node's room table (`mod_muc_room.state.ts`): after a
 * crash the restarted room takes it back and sends every occupant the room's presence again,
 * its own marked 110 + 399 (Troupe's code: "the room restarted; you are still in it").
 */
import type { Element } from 'ltx';
import type { Process } from '../../supervision/process.js';
import { noreply, start, stop, type GenServer } from '../../supervision/gen_server.js';
import { isOrderly } from '../../supervision/exit_reason.js';
import type { ChildSpec } from '../../supervision/child_spec.js';
import type { Jid } from '../../src/jid.js';
import { DEFAULT_CONFIG } from '../../src/muc/config.js';
import { STATUS } from '../../src/muc/ns.js';
import type { Node } from '../node.js';
import { roomTable, type RoomData } from './mod_muc_room.state.js';
import { sendPresenceOf, roomPresence } from './mod_muc_room.presence.js';
import { roomMessage } from './mod_muc_room.message.js';
import { roomIq, roomIqTable } from './mod_muc_room.iq.js';
import { IqTable } from '../iq_handler.js';
import { historyFromArchive, type MucOptions, type Room } from './mod_muc_room.context.js';
import { dropLostOccupants, replicate, roomFromSaved, sessionAlive, takeOver, type RoomReplica } from './mod_muc_room.cluster.js';
import type { SavedRoom } from '../../src/cluster/redis_rooms.js';

export type { MucOptions };

export interface RoomArgs {
  node: Node;
  /** room@service */
  jid: Jid;
  opts: MucOptions;
}

/** What mod_muc casts to a room. */
export interface RoomRoute {
  type: 'route';
  from: Jid;
  to: Jid;
  stanza: Element;
}

/** In a cluster: a node died or left; the room drops the occupants whose sessions were there. */
export interface NodeDown {
  type: 'node_down';
  node: string;
}

export const roomName = (room: Jid): string => `muc_room:${room.bareString()}`;

function freshRoom(room: Jid, opts: MucOptions): RoomData {
  return {
    jid: room, config: { ...DEFAULT_CONFIG, max_users: opts.max_users }, affiliations: new Map(), occupants: new Map(), history: [], subject: null, locked: true,
  };
}

/**
 * The stored room (persistent), or the state its last owner in the cluster saved (temporary),
 * or a new one, locked until its creator configures it (§10.1).
 */
async function loadRoom(r: Pick<Room, 'store' | 'mam' | 'opts'>, room: Jid, saved: SavedRoom | null): Promise<RoomData> {
  const stored = await r.store.get(room.domain, room.local);
  if (!stored) return saved?.state ? roomFromSaved(room, saved.state) : freshRoom(room, r.opts);
  const data: RoomData = {
    jid: room, config: { ...DEFAULT_CONFIG, ...stored.config }, affiliations: new Map(stored.affiliations), occupants: new Map(), history: [], subject: stored.subject, locked: false,
  };
  if (stored.config.mam) data.history = await historyFromArchive(r.mam, room, r.opts.history_size);
  return data;
}

/** After a crash: each occupant learns the room is back, with everyone's presence and its own (110, 399). */
async function announceRestart(r: Room): Promise<void> {
  for (const viewer of r.data.occupants.values()) {
    for (const o of r.data.occupants.values()) {
      await sendPresenceOf(r, o, viewer, o === viewer ? [STATUS.SELF, STATUS.ROOM_RESTARTED] : []);
    }
  }
}

function routeStanza(r: Room, { from, to, stanza }: RoomRoute): Promise<void> | void {
  if (stanza.name === 'presence') return roomPresence(r, from, to, stanza);
  if (stanza.name === 'message') return roomMessage(r, from, to, stanza);
  if (stanza.name === 'iq') return roomIq(r, from, to, stanza);
}

/** Empty or destroyed: the room ends, unless more stanzas already wait in its mailbox. */
const finished = (r: Room, self: Process): boolean => (r.destroyed || r.data.occupants.size === 0) && self.mailboxLength === 0;

const roomServer: GenServer<Room, RoomArgs> = {
  async init({ node, jid: room, opts }, self) {
    const table = roomTable(node);
    const replica: RoomReplica | null = node.clusterRooms && { rooms: node.clusterRooms, state: null, written: new Map() };
    const base = { node, self, opts, store: node.stores.muc(), mam: node.stores.mam(), destroyed: false, replica };
    const kept = table.get(room.bareString());
    // In a cluster, a room not kept here may have had an owner that died or left: its copy in Redis.
    const saved = kept || !replica ? null : await replica.rooms.load(room.bareString());
    const r: Room = { ...base, data: kept ?? (await loadRoom(base, room, saved)), iq: new IqTable() };
    r.iq = roomIqTable(r);
    table.set(room.bareString(), r.data);
    const takenOver = replica !== null && saved !== null && saved.occupants.size > 0;
    if (takenOver) await takeOver(r, replica, saved, sessionAlive(node.sessions, new Set(await replica.rooms.liveNodes())));
    if (kept || takenOver) await announceRestart(r);
    replicate(r);
    return r;
  },
  async handleCast(msg, r, self) {
    // Anything else (a room just taken over in a cluster is woken so): only the check below.
    const m = msg as RoomRoute | NodeDown;
    if (m?.type === 'route') await routeStanza(r, m);
    else if (m?.type === 'node_down') await dropLostOccupants(r, m.node);
    replicate(r);
    return finished(r, self) ? stop('normal', r) : noreply(r);
  },
  terminate(reason, r) {
    // A crash leaves the entry for the restart; an orderly end takes it away.
    if (isOrderly(reason)) roomTable(r.node).delete(r.data.jid.bareString());
    // Ended (empty, destroyed): nothing to take over. A node leaving hands its rooms over (cluster actor).
    if (reason === 'normal') r.replica?.rooms.release(r.data.jid.bareString());
  },
};

export function startRoom(parent: Process, args: RoomArgs): Promise<Process> {
  return start(roomServer, args, { name: roomName(args.jid), link: parent });
}

/** The template of `muc_room_sup`: a crashed room comes back with the same arguments, an ended one stays ended. */
export const roomChildSpec = (): ChildSpec => ({ id: 'muc_room', start: startRoom, restart: 'transient', shutdown: 5000 });
