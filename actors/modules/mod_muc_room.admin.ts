/**
 * A room's `muc#admin` and `muc#owner` IQs: lists and changes of roles (§8: kick, voice;
 * §9.6 moderators) and affiliations (§9: ban, members, admins; §10: owners), the
 * configuration form (§10.2) and destruction (§10.9). A set is checked item by item first and
 * applied only when every item is allowed.
 */
import { clone, createElement, type Element } from 'ltx';
import { tryParseJid, type Jid } from '../../src/jid.js';
import { stanzaError, type StanzaError } from '../../src/stanza/error.js';
import { configForm, parseConfigForm } from '../../src/muc/config.js';
import { statusMessage } from '../../src/muc/message.js';
import { NS_MUC_ADMIN, NS_MUC_OWNER, STATUS } from '../../src/muc/ns.js';
import { itemElement, userX } from '../../src/muc/presence.js';
import {
  affiliationChangeDenial, atLeast, isAffiliation, isRole, roleAfterAffiliation, roleChangeDenial, type Affiliation, type Actor, type Role,
} from '../../src/muc/roles.js';
import { NS_XDATA } from '../../src/mam/ns.js';
import type { Iq, IqAnswer } from '../iq_handler.js';
import { occupantJid, persist, send, type Room } from './mod_muc_room.context.js';
import { affiliationOf, occupantByJid, type Occupant } from './mod_muc_room.state.js';
import { broadcastPresence, removeOccupant } from './mod_muc_room.presence.js';

type Change =
  | { kind: 'role'; target: Occupant; role: Role; reason?: string }
  | { kind: 'affiliation'; target: Jid; affiliation: Affiliation; reason?: string };

const actorOf = (r: Room, from: Jid): Actor & { nick?: string } => {
  const o = occupantByJid(r.data, from);
  return { role: o?.role ?? 'none', affiliation: affiliationOf(r.data, from), ...(o ? { nick: o.nick } : {}) };
};

/** One `<item/>` of a set: a role by nick or an affiliation by JID, checked against the actor's rights. */
function parseChange(r: Room, actor: Actor, item: Element): Change | StanzaError {
  const reason = item.getChildText('reason') ?? undefined;
  const { role, affiliation, nick, jid: jidAttr } = item.attrs;
  if (role !== undefined && nick !== undefined) {
    if (!isRole(role)) return stanzaError('bad-request', `unknown role '${role}'`);
    const target = r.data.occupants.get(nick);
    if (!target) return stanzaError('item-not-found', `no occupant '${nick}'`);
    const denied = roleChangeDenial(actor, { role: target.role, affiliation: affiliationOf(r.data, target.jid) }, role);
    return denied ?? { kind: 'role', target, role, ...(reason ? { reason } : {}) };
  }
  if (affiliation !== undefined && jidAttr !== undefined) {
    if (!isAffiliation(affiliation)) return stanzaError('bad-request', `unknown affiliation '${affiliation}'`);
    const target = tryParseJid(jidAttr)?.bare();
    if (!target) return stanzaError('jid-malformed', `'${jidAttr}' is not a JID`);
    const denied = affiliationChangeDenial(actor.affiliation, affiliationOf(r.data, target), affiliation);
    return denied ?? { kind: 'affiliation', target, affiliation, ...(reason ? { reason } : {}) };
  }
  return stanzaError('bad-request', 'an item changes a role (nick) or an affiliation (jid)');
}

/** §10.5: an owner cannot leave the room without one. */
function keepsAnOwner(r: Room, changes: Change[]): boolean {
  const owners = new Set([...r.data.affiliations].filter(([, a]) => a === 'owner').map(([j]) => j));
  for (const c of changes) {
    if (c.kind !== 'affiliation') continue;
    if (c.affiliation === 'owner') owners.add(c.target.bareString());
    else owners.delete(c.target.bareString());
  }
  return owners.size > 0;
}

async function applyRole(r: Room, c: Extract<Change, { kind: 'role' }>, by?: string): Promise<void> {
  const extra = { ...(by ? { actor: by } : {}), ...(c.reason ? { reason: c.reason } : {}) };
  if (c.role === 'none') return removeOccupant(r, c.target, [STATUS.KICKED], extra);
  c.target.role = c.role;
  await broadcastPresence(r, c.target, [], [], false, extra);
}

async function applyAffiliation(r: Room, c: Extract<Change, { kind: 'affiliation' }>, by?: string): Promise<void> {
  const bare = c.target.bareString();
  if (c.affiliation === 'none') r.data.affiliations.delete(bare);
  else r.data.affiliations.set(bare, c.affiliation);
  const extra = { ...(by ? { actor: by } : {}), ...(c.reason ? { reason: c.reason } : {}) };
  const { moderated, members_only: membersOnly } = r.data.config;
  for (const o of [...r.data.occupants.values()].filter((o) => o.jid.bareString() === bare)) {
    o.role = roleAfterAffiliation(c.affiliation, o.role, moderated, membersOnly);
    if (o.role !== 'none') await broadcastPresence(r, o, [], [], false, extra);
    else await removeOccupant(r, o, [c.affiliation === 'outcast' ? STATUS.BANNED : STATUS.AFFILIATION_REMOVED], extra);
  }
}

async function adminSet(r: Room, iq: Iq): Promise<IqAnswer> {
  const actor = actorOf(r, iq.from);
  const changes: Change[] = [];
  for (const item of iq.payload.getChildren('item')) {
    const change = parseChange(r, actor, item);
    if (!('kind' in change)) return change;
    changes.push(change);
  }
  if (changes.length === 0) return stanzaError('bad-request', 'no <item/>');
  if (!keepsAnOwner(r, changes)) return stanzaError('conflict', 'the room must keep an owner');
  for (const c of changes) await (c.kind === 'role' ? applyRole(r, c, actor.nick) : applyAffiliation(r, c, actor.nick));
  if (changes.some((c) => c.kind === 'affiliation')) await persist(r);
  return null;
}

/** §9.5, §8.5: the list of one affiliation (admins and owners ask) or one role (moderators ask). */
function adminGet(r: Room, iq: Iq): IqAnswer {
  const item = iq.payload.getChild('item');
  const actor = actorOf(r, iq.from);
  const query = createElement('query', { xmlns: NS_MUC_ADMIN });
  const { affiliation, role } = item?.attrs ?? {};
  if (isAffiliation(affiliation)) {
    if (!atLeast(actor.affiliation, 'admin')) return stanzaError('forbidden', 'only admins and owners read affiliation lists');
    for (const [j, a] of r.data.affiliations) if (a === affiliation) query.append(itemElement({ affiliation: a, role: 'none', jid: j }));
    return query;
  }
  if (isRole(role)) {
    if (actor.role !== 'moderator') return stanzaError('forbidden', 'only moderators read role lists');
    for (const o of r.data.occupants.values()) {
      if (o.role === role) query.append(itemElement({ affiliation: affiliationOf(r.data, o.jid), role: o.role, jid: o.jid.toString(), nick: o.nick }));
    }
    return query;
  }
  return stanzaError('bad-request', 'ask for one affiliation or one role');
}

export const processAdminIq = (r: Room, iq: Iq): IqAnswer | Promise<IqAnswer> => (iq.type === 'get' ? adminGet(r, iq) : adminSet(r, iq));

/** §10.9: everyone leaves with `<destroy/>`; a stored room is deleted. */
async function destroy(r: Room, el: Element | undefined): Promise<void> {
  const destroyEl = createElement('destroy', el?.attrs.jid ? { jid: el.attrs.jid } : {});
  const reason = el?.getChildText('reason');
  if (reason) destroyEl.append(createElement('reason', null, reason));
  for (const o of [...r.data.occupants.values()]) {
    r.data.occupants.delete(o.nick);
    const from = occupantJid(r.data.jid, o.nick);
    const x = userX({ affiliation: 'none', role: 'none' }, [STATUS.SELF], clone(destroyEl));
    await send(r, from, o.jid, createElement('presence', { type: 'unavailable' }, x));
  }
  await r.store.delete(r.data.jid.domain, r.data.jid.local);
  r.destroyed = true;
}

/** §10.2: new settings; members-only now removes non-members (322); occupants hear of the change (104). */
async function configure(r: Room, x: Element): Promise<IqAnswer> {
  if (x.attrs.type === 'cancel') {
    if (r.data.locked) await destroy(r, undefined); // §10.1.2: a new room cancelled is no room
    return null;
  }
  const config = parseConfigForm(x, r.data.config, r.opts.max_users);
  if (!('title' in config)) return config;
  const wasLocked = r.data.locked;
  r.data.config = config;
  r.data.locked = false;
  await persist(r);
  if (config.members_only) {
    for (const o of [...r.data.occupants.values()]) {
      if (!atLeast(affiliationOf(r.data, o.jid), 'member')) await removeOccupant(r, o, [STATUS.MEMBERS_ONLY]);
    }
  }
  if (!wasLocked) {
    for (const o of r.data.occupants.values()) await send(r, r.data.jid, o.jid, statusMessage(r.data.jid.toString(), [STATUS.CONFIG_CHANGED]));
  }
  return null;
}

export async function processOwnerIq(r: Room, iq: Iq): Promise<IqAnswer> {
  if (affiliationOf(r.data, iq.from) !== 'owner') return stanzaError('forbidden', 'only owners configure the room');
  if (iq.type === 'get') return createElement('query', { xmlns: NS_MUC_OWNER }, configForm(r.data.config, r.opts.max_users));
  const destroyEl = iq.payload.getChild('destroy');
  if (destroyEl) return destroy(r, destroyEl).then(() => null);
  const x = iq.payload.getChild('x', NS_XDATA);
  if (!x) return stanzaError('bad-request', 'expected a form or <destroy/>');
  return configure(r, x);
}
