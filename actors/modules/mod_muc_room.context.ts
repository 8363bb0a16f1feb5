/**
 * What every part of a room's process shares: the room (`Room`), its addresses, sending,
 * who sees real JIDs, and persistence of what a persistent room stores.
 */
import type { Element } from 'ltx';
import type { Process } from '../../supervision/process.js';
import { jid, type Jid } from '../../src/jid.js';
import type { HistoryEntry } from '../../src/muc/history.js';
import { idTime } from '../../src/mam/id.js';
import { route } from '../router.js';
import type { IqTable } from '../iq_handler.js';
import type { Node } from '../node.js';
import type { MamStore } from './mod_mam.store.js';
import type { MucStore } from './mod_muc.store.js';
import { storedRoom, type Occupant, type RoomData } from './mod_muc_room.state.js';
import type { RoomReplica } from './mod_muc_room.cluster.js';

export interface MucOptions {
  /** The service's domain; `@HOST@` is the served host. */
  host: string;
  /** Most occupants a room may be configured for (and the default). */
  max_users: number;
  /** Groupchat messages a room keeps for newcomers (§7.2.14). */
  history_size: number;
  /** Rooms one user (bare JID) may be in at once, as ejabberd's `max_user_conferences`. */
  max_user_rooms: number;
}

export interface Room {
  node: Node;
  self: Process;
  opts: MucOptions;
  store: MucStore;
  /** The room's archive (XEP-0313 on the room JID), mod_mam's store. */
  mam: MamStore;
  data: RoomData;
  /** disco, admin, owner, MAM and ping handlers on the room JID. */
  iq: IqTable;
  /** §10.9: destroyed; the process ends after this stanza. */
  destroyed: boolean;
  /** In a cluster (issue #9): the room's copy in Redis, for the node that would take it over. */
  replica: RoomReplica | null;
}

/** `room@service/nick` */
export const occupantJid = (room: Jid, nick: string): Jid => jid(room.local, room.domain, nick);

export function send(r: Room, from: Jid, to: Jid, stanza: Element): Promise<void> {
  stanza.attrs.from = from.toString();
  stanza.attrs.to = to.toString();
  return route(r.node, from, to, stanza);
}

/** §7.2.3–7.2.4: moderators always see real JIDs; everyone does in a non-anonymous room. */
export const seesJids = (r: Room, viewer: Occupant): boolean => r.data.config.whois === 'anyone' || viewer.role === 'moderator';

/** A persistent room is stored after every change of what it stores; a room made temporary is forgotten. */
export async function persist(r: Room): Promise<void> {
  const { jid: room, config } = r.data;
  if (config.persistent) await r.store.put(room.domain, room.local, storedRoom(r.data));
  else await r.store.delete(room.domain, room.local);
}

/** A persistent room loaded again gets its recent history from its archive. */
export async function historyFromArchive(mam: MamStore, room: Jid, size: number): Promise<HistoryEntry[]> {
  if (size === 0) return [];
  const ids = (await mam.ids(room.local, room.domain, {})).slice(-size);
  return (await mam.get(room.local, room.domain, ids)).map((m) => ({ xml: m.xml, at: Math.floor(idTime(m.id) / 1000), nick: m.peer.slice(m.peer.indexOf('/') + 1) }));
}
