/**
 * A room's presence handling (XEP-0045 §7.2 entering, §7.6 changing nickname, §7.7 changing
 * availability, §7.14 exiting): who may enter, the presence everyone receives about everyone,
 * and removals (kick, ban, errors from a client) with their status codes.
 */
import type { Element } from 'ltx';
import type { Jid } from '../../src/jid.js';
import { stanzaError, type StanzaError } from '../../src/stanza/error.js';
import { historyMessage, parseHistoryRequest, selectHistory } from '../../src/muc/history.js';
import { nickDenial } from '../../src/muc/nick.js';
import { STATUS } from '../../src/muc/ns.js';
import { subjectMessage } from '../../src/muc/message.js';
import { joinPassword, occupantPresence, ownPresence, userX, type ItemInfo } from '../../src/muc/presence.js';
import { defaultRole, entryDenial } from '../../src/muc/roles.js';
import { bounce } from '../router.js';
import { occupantJid, seesJids, send, type Room } from './mod_muc_room.context.js';
import { affiliationOf, occupantByJid, roomsOf, roomTable, type Occupant } from './mod_muc_room.state.js';

type Extra = Pick<ItemInfo, 'nick' | 'actor' | 'reason'>;

/** The presence of `o` as `viewer` receives it; `codes` go to the viewer only when it is `o` itself (plus 110). */
export function sendPresenceOf(r: Room, o: Occupant, viewer: Occupant, codes: number[], unavailable = false, extra: Extra = {}): Promise<void> {
  const self = o === viewer;
  const item: ItemInfo = { affiliation: affiliationOf(r.data, o.jid), role: unavailable ? 'none' : o.role, ...extra };
  if (self || seesJids(r, viewer)) item.jid = o.jid.toString();
  const from = occupantJid(r.data.jid, o.nick);
  const x = userX(item, self && !codes.includes(STATUS.SELF) ? [...codes, STATUS.SELF] : codes);
  return send(r, from, viewer.jid, occupantPresence(from.toString(), viewer.jid.toString(), o.presence, x, unavailable ? 'unavailable' : undefined));
}

/**
 * `o`'s presence to every occupant (and to `o`, even when it is no longer one): `codes` to all,
 * `selfCodes` (besides 110) to `o` only.
 */
export async function broadcastPresence(r: Room, o: Occupant, codes: number[], selfCodes: number[] = [], unavailable = false, extra: Extra = {}): Promise<void> {
  const viewers = r.data.occupants.has(o.nick) ? r.data.occupants.values() : [o, ...r.data.occupants.values()];
  for (const viewer of viewers) {
    await sendPresenceOf(r, o, viewer, viewer === o ? [...codes, STATUS.SELF, ...selfCodes] : codes, unavailable, extra);
  }
}

/** Out of the room, everyone told why (§8.2 kick 307, §9.1 ban 301, 321, 322, 333). */
export async function removeOccupant(r: Room, o: Occupant, codes: number[], extra: Extra = {}): Promise<void> {
  r.data.occupants.delete(o.nick);
  await broadcastPresence(r, o, codes, [], true, extra);
}

/** §7.2.2–7.2.10: why `from` may not enter as `nick`, or null; past `max_user_rooms` resource-constraint. */
function joinDenial(r: Room, from: Jid, nick: string, stanza: Element): StanzaError | null {
  const affiliation = affiliationOf(r.data, from);
  if (r.data.locked && affiliation !== 'owner') return stanzaError('item-not-found', 'the room is locked until its owner configures it');
  const { config } = r.data;
  const rules = { membersOnly: config.members_only, password: config.password_protected ? config.password : null, maxUsers: config.max_users };
  const denied = entryDenial(affiliation, rules, joinPassword(stanza), r.data.occupants.size);
  if (denied) return denied;
  if (r.data.occupants.has(nick)) return stanzaError('conflict', 'that nickname is in use');
  if (roomsOf(roomTable(r.node), from) >= r.opts.max_user_rooms) return stanzaError('resource-constraint', `you are in ${r.opts.max_user_rooms} rooms already`);
  return null;
}

/** §7.2.3: the others' presence, then the newcomer's to all, then history (§7.2.14) and subject (§7.2.15). */
async function join(r: Room, from: Jid, to: Jid, stanza: Element): Promise<void> {
  const nick = to.resource;
  const created = r.data.locked && r.data.affiliations.size === 0;
  if (created) r.data.affiliations.set(from.bareString(), 'owner');
  const denied = nickDenial(nick) ?? joinDenial(r, from, nick, stanza);
  if (denied) {
    if (created) r.data.affiliations.clear();
    return bounce(r.node, from, to, stanza, denied);
  }
  const occupant: Occupant = { nick, jid: from, role: defaultRole(affiliationOf(r.data, from), r.data.config.moderated), presence: ownPresence(stanza) };
  for (const o of r.data.occupants.values()) await sendPresenceOf(r, o, occupant, []);
  r.data.occupants.set(nick, occupant);
  const { config } = r.data;
  const selfCodes = [
    ...(created ? [STATUS.CREATED] : []), ...(config.whois === 'anyone' ? [STATUS.NON_ANONYMOUS] : []), ...(config.mam ? [STATUS.LOGGING] : []),
  ];
  await broadcastPresence(r, occupant, [], selfCodes);
  for (const entry of selectHistory(r.data.history, parseHistoryRequest(stanza), Date.now())) {
    await send(r, occupantJid(r.data.jid, entry.nick), from, historyMessage(entry, from.toString(), r.data.jid.toString()));
  }
  const { subject } = r.data;
  const subjectFrom = subject ? occupantJid(r.data.jid, subject.nick) : r.data.jid;
  await send(r, subjectFrom, from, subjectMessage(subjectFrom.toString(), subject?.text ?? ''));
}

/** §7.6: unavailable from the old nick (303, new nick in the item), available from the new one. */
async function changeNick(r: Room, o: Occupant, to: Jid, stanza: Element): Promise<void> {
  const nick = to.resource;
  const denied = nickDenial(nick) ?? (r.data.occupants.has(nick) ? stanzaError('conflict', 'that nickname is in use') : null);
  if (denied) return bounce(r.node, o.jid, to, stanza, denied);
  await broadcastPresence(r, o, [STATUS.NICK_CHANGED], [], true, { nick });
  r.data.occupants.delete(o.nick);
  o.nick = nick;
  o.presence = ownPresence(stanza);
  r.data.occupants.set(nick, o);
  await broadcastPresence(r, o, []);
}

/** Presence to `room@service/nick`. */
export async function roomPresence(r: Room, from: Jid, to: Jid, stanza: Element): Promise<void> {
  const type = stanza.attrs.type;
  const occupant = occupantByJid(r.data, from);
  if (type === 'error') {
    if (occupant) await removeOccupant(r, occupant, [STATUS.TECHNICAL]);
    return;
  }
  if (type === 'unavailable') {
    if (!occupant) return;
    occupant.presence = ownPresence(stanza);
    return removeOccupant(r, occupant, []);
  }
  if (type !== undefined) return; // subscriptions and probes mean nothing to a room
  if (!occupant) return join(r, from, to, stanza);
  if (to.resource !== occupant.nick) return changeNick(r, occupant, to, stanza);
  occupant.presence = ownPresence(stanza);
  await broadcastPresence(r, occupant, []); // §7.7
}
