/**
 * A room's state, and the table that keeps it outside the room's process. Like an ETS table
 * whose heir is the supervisor, the table belongs to the node: when a room crashes, its
 * restart (by `muc_room_sup`, same arguments) finds its occupants, configuration, affiliations,
 * subject and history where it left them, and tells each occupant it is back. A room that
 * ends in an orderly way (empty, destroyed, node shutdown) takes its entry with it.
 */
import type { Jid } from '../../src/jid.js';
import type { RoomConfig } from '../../src/muc/config.js';
import type { HistoryEntry } from '../../src/muc/history.js';
import type { Affiliation, Role } from '../../src/muc/roles.js';
import type { Element } from 'ltx';
import type { StoredRoom } from './mod_muc.store.js';

export interface Occupant {
  nick: string;
  /** The real (full) JID. */
  jid: Jid;
  role: Role;
  /** The client's presence children (show, status…), as the room rebroadcasts them. */
  presence: Element;
}

export interface RoomData {
  /** room@service */
  jid: Jid;
  config: RoomConfig;
  /** bare JID string → affiliation other than none */
  affiliations: Map<string, Affiliation>;
  /** nick → occupant, in order of entry */
  occupants: Map<string, Occupant>;
  history: HistoryEntry[];
  subject: { text: string; nick: string } | null;
  /** §10.1.2: a new room accepts only its owner until it is configured. */
  locked: boolean;
}

export const affiliationOf = (room: RoomData, jid: Jid): Affiliation => room.affiliations.get(jid.bareString()) ?? 'none';

export function occupantByJid(room: RoomData, jid: Jid): Occupant | undefined {
  for (const o of room.occupants.values()) if (o.jid.equals(jid)) return o;
  return undefined;
}

export function storedRoom(room: RoomData): StoredRoom {
  return { config: room.config, affiliations: [...room.affiliations], subject: room.subject };
}

/** How many rooms of the table `user` (any resource) is in. */
export function roomsOf(table: RoomTable, user: Jid): number {
  const bare = user.bareString();
  let n = 0;
  for (const room of table.values()) {
    for (const o of room.occupants.values()) {
      if (o.jid.bareString() === bare) {
        n++;
        break;
      }
    }
  }
  return n;
}

/** Rooms of one node by bare room JID; it outlives every room process. */
export type RoomTable = Map<string, RoomData>;

const tables = new WeakMap<object, RoomTable>();

/** The node's room table (`node` is the node object; one table each). */
export function roomTable(node: object): RoomTable {
  let t = tables.get(node);
  if (!t) tables.set(node, (t = new Map()));
  return t;
}
