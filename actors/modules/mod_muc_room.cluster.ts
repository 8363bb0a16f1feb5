/**
 * A room in a cluster (issue #9): its owner node keeps a copy of the room in Redis (state and
 * occupants, written after each stanza as far as it changed), so that when the owner dies the
 * node that takes the room over finds who was in it. Occupants whose sessions died with their
 * node are dropped (the others see them leave, 333); the rest stay and are told as after a
 * crash restart (110 + 399). A room whose owner lives on drops them too when told the node is
 * down: their unavailable presence died with them.
 */
import { parse, type Element } from 'ltx';
import { parseJid, type Jid } from '../../src/jid.js';
import type { RedisRooms, SavedRoom } from '../../src/cluster/redis_rooms.js';
import type { Role } from '../../src/muc/roles.js';
import { DEFAULT_CONFIG } from '../../src/muc/config.js';
import { STATUS } from '../../src/muc/ns.js';
import type { SessionTable } from '../session_table.js';
import type { StoredRoom } from './mod_muc.store.js';
import type { Room } from './mod_muc_room.context.js';
import { removeOccupant, sendPresenceOf } from './mod_muc_room.presence.js';
import { storedRoom, type Occupant, type RoomData } from './mod_muc_room.state.js';

interface SavedOccupant {
  jid: string;
  role: Role;
  presence: string;
}

interface SavedState extends StoredRoom {
  locked: boolean;
}

interface Written {
  occupant: Occupant | null;
  role: Role | null;
  presence: Element | null;
}

/** What the room last wrote to Redis, so that each stanza writes only what it changed. */
export interface RoomReplica {
  rooms: RedisRooms;
  state: string | null;
  /** nick → the occupant as written: the same object with the same role and presence is unchanged. */
  written: Map<string, Written>;
}

const savedState = (data: RoomData): string => JSON.stringify({ ...storedRoom(data), locked: data.locked } satisfies SavedState);

const savedOccupant = (o: Occupant): string => JSON.stringify({ jid: o.jid.toString(), role: o.role, presence: o.presence.toString() } satisfies SavedOccupant);

/** Writes what changed in the room since the last write. */
export function replicate(r: Room): void {
  const replica = r.replica;
  if (!replica) return;
  const set = new Map<string, string>();
  for (const o of r.data.occupants.values()) {
    const w = replica.written.get(o.nick);
    if (w?.occupant === o && w.role === o.role && w.presence === o.presence) continue;
    set.set(o.nick, savedOccupant(o));
    replica.written.set(o.nick, { occupant: o, role: o.role, presence: o.presence });
  }
  const gone = [...replica.written.keys()].filter((nick) => !r.data.occupants.has(nick));
  for (const nick of gone) replica.written.delete(nick);
  const state = savedState(r.data);
  const changed = state === replica.state ? null : state;
  replica.state = state;
  if (changed !== null || set.size > 0 || gone.length > 0) replica.rooms.write(r.data.jid.bareString(), changed, set, gone);
}

/** A room that is not stored (temporary) comes back from the state its last owner saved. */
export function roomFromSaved(room: Jid, state: string): RoomData {
  const s = JSON.parse(state) as SavedState;
  return {
    jid: room, config: { ...DEFAULT_CONFIG, ...s.config }, affiliations: new Map(s.affiliations), occupants: new Map(), history: [], subject: s.subject, locked: s.locked,
  };
}

function parseOccupant(nick: string, text: string): Occupant {
  const o = JSON.parse(text) as SavedOccupant;
  return { nick, jid: parseJid(o.jid), role: o.role, presence: parse(o.presence) };
}

/** Whether `jid`'s session is still on a live node (this one, or one whose liveness key is there). */
export const sessionAlive = (sessions: SessionTable, live: Set<string>) => (jid: Jid): boolean => {
  const session = sessions.get(jid);
  return session !== undefined && (session.node === undefined || live.has(session.node));
};

/**
 * Takes the room's saved occupants into `r` (its state already loaded): those still online
 * stay, the others are gone and the ones who stay see them leave.
 */
export async function takeOver(r: Room, replica: RoomReplica, saved: SavedRoom, alive: (jid: Jid) => boolean): Promise<void> {
  const lost: Occupant[] = [];
  replica.state = saved.state;
  for (const [nick, text] of saved.occupants) {
    const o = parseOccupant(nick, text);
    if (alive(o.jid)) {
      r.data.occupants.set(nick, o);
      replica.written.set(nick, { occupant: o, role: o.role, presence: o.presence });
    } else {
      lost.push(o);
      replica.written.set(nick, { occupant: null, role: null, presence: null });
    }
  }
  for (const o of lost) {
    for (const viewer of r.data.occupants.values()) await sendPresenceOf(r, o, viewer, [STATUS.TECHNICAL], true);
  }
}

/** A node died or left: its sessions are out of the session table; their occupants leave (333). */
export async function dropLostOccupants(r: Room, down: string): Promise<void> {
  for (const o of [...r.data.occupants.values()]) {
    const session = r.node.sessions.get(o.jid);
    if (!session || session.node === down) await removeOccupant(r, o, [STATUS.TECHNICAL]);
  }
}
