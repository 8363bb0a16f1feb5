/**
 * mod_roster's presence subscriptions (RFC 6121 §3), ejabberd's `out_subscription` and
 * `in_subscription`: the state change of the table in `src/roster/subscription.ts`, stored and
 * pushed as one item change, then the stanza routed (outbound) or delivered (inbound), the
 * automatic replies, and the presence that a new or lost subscription calls for.
 */
import { clone, createElement, type Element } from 'ltx';
import { tryParseJid, type Jid } from '../../src/jid.js';
import { isStanzaError } from '../../src/stanza/error.js';
import { emptyItem, withSubscription, type RosterItem } from '../../src/roster/item.js';
import { hasFrom, hasTo, inbound, isSubscriptionType, outbound, type Outcome, type SubscriptionType } from '../../src/roster/subscription.js';
import { STOP } from '../hooks.js';
import { route } from '../router.js';
import { deliver } from '../sm.js';
import { updateItem, type Roster } from './mod_roster.push.js';

const presence = (type: string | undefined, from: Jid, to: Jid, status?: string): Element => {
  const attrs: Record<string, string> = { from: from.toString(), to: to.toString() };
  if (type) attrs.type = type;
  return createElement('presence', attrs, status ? createElement('status', null, status) : null);
};

/** Runs the table for one stanza on `owner`'s item for `contact`; the outcome, or null if the write failed with an error. */
async function transition(
  r: Roster, owner: Jid, contact: Jid, step: (item: RosterItem) => Outcome, decorate?: (item: RosterItem, o: Outcome) => void,
): Promise<Outcome | null> {
  let outcome: Outcome | null = null;
  const changed = await updateItem(r, owner, contact.toString(), (old) => {
    const before = old ?? emptyItem(contact.toString());
    const o = (outcome = step(before));
    if (!o.changed) return undefined;
    const item = withSubscription(before, o.next);
    decorate?.(item, o);
    return item;
  });
  return isStanzaError(changed) ? null : outcome;
}

/**
 * `user_send_packet` for presence of type subscribe, subscribed, unsubscribe, unsubscribed
 * (§3.1.2, §3.1.5, §3.2.2, §3.3.2): the user's item changes and is pushed, the stanza is stamped
 * with the user's bare JID and addressed to the contact's bare JID, then routed here (the
 * privacy check included) so the presence a new or lost subscription calls for follows it.
 */
export async function outSubscription(r: Roster, stanza: Element, user: Jid, to: Jid): Promise<Element | typeof STOP> {
  const type = stanza.attrs.type;
  if (stanza.name !== 'presence' || !isSubscriptionType(type)) return stanza;
  const owner = user.bare();
  const contact = to.bare();
  if (contact.equals(owner)) return STOP; // a subscription to oneself means nothing
  const o = await transition(r, owner, contact, (item) => outbound(type, item, r.opts.pre_approval));
  if (!o) return STOP;
  const { node } = r.ctx;
  if (o.forward) {
    const out = clone(stanza);
    out.attrs.from = owner.toString();
    out.attrs.to = contact.toString();
    const privacy = await node.hooks.runFold('privacy_check_packet', owner.domain, 'allow', user, contact, out, 'out');
    if (privacy !== 'deny') await route(node, owner, contact, out);
  }
  await afterChange(r, owner, contact, o);
  return STOP;
}

/**
 * `presence_to_user` for subscription stanzas (§3.1.3, §3.1.6, §3.2.3, §3.3.3): the user's
 * item changes and is pushed; the stanza reaches the user's available resources when it
 * changed something (a subscribe to a user with none stays pending and is redelivered at the
 * next login); the server answers by itself where §3.1.3 and §3.4 say so.
 */
export async function inSubscription(r: Roster, handled: boolean, from: Jid, to: Jid, stanza: Element): Promise<boolean> {
  const type = stanza.attrs.type;
  if (handled || stanza.name !== 'presence' || !isSubscriptionType(type)) return handled;
  const { node } = r.ctx;
  const owner = to.bare();
  const contact = from.bare();
  if (contact.equals(owner)) return true;
  if (!(await node.accounts.exists(owner.local, owner.domain))) {
    // §3.1.3: no such user: the request is refused on its behalf.
    if (type === 'subscribe') await route(node, owner, contact, presence('unsubscribed', owner, contact));
    return true;
  }
  const status = stanza.getChildText('status') ?? undefined;
  const o = await transition(r, owner, contact, (item) => inbound(type, item), (item, outcome) => {
    if (type === 'subscribe' && outcome.next.pendingIn && status) item.status = status;
  });
  if (!o) return true;
  if (o.forward) deliverToAvailable(r, owner, contact, type, stanza);
  if (o.autoReply) await route(node, owner, contact, presence(o.autoReply, owner, contact));
  await afterChange(r, owner, contact, o);
  return true;
}

function deliverToAvailable(r: Roster, owner: Jid, contact: Jid, type: SubscriptionType, stanza: Element): void {
  for (const session of r.ctx.node.sessions.resources(owner)) {
    if (session.priority === null) continue; // §3.1.3: subscription requests go to available resources
    const copy = clone(stanza);
    copy.attrs.from = contact.toString();
    copy.attrs.to = owner.toString();
    copy.attrs.type = type;
    deliver(session, contact, session.jid, copy);
  }
}

async function afterChange(r: Roster, owner: Jid, contact: Jid, o: Outcome): Promise<void> {
  if (o.gainedFrom) await presenceFollows(r, owner, contact, 'gained');
  if (o.lostFrom) await presenceFollows(r, owner, contact, 'lost');
}

/** §3.1.5: a new subscriber gets the owner's current presence; §3.2.2, §3.3.3: a lost one gets unavailable. */
async function presenceFollows(r: Roster, owner: Jid, contact: Jid, subscriber: 'gained' | 'lost'): Promise<void> {
  const { node } = r.ctx;
  for (const session of node.sessions.resources(owner)) {
    if (!session.presence) continue;
    const out = subscriber === 'gained' ? clone(session.presence) : presence('unavailable', session.jid, contact);
    out.attrs.from = session.jid.toString();
    out.attrs.to = contact.toString();
    await route(node, session.jid, contact, out);
  }
}

/** `send_unsubscribing_presence` (§2.5.2): a removed item ends the subscriptions both ways. */
export async function sendUnsubscribingPresence(r: Roster, owner: Jid, contact: Jid, old: RosterItem): Promise<void> {
  const { node } = r.ctx;
  if (hasTo(old) || old.pendingOut) await route(node, owner, contact, presence('unsubscribe', owner, contact));
  if (hasFrom(old) || old.pendingIn) {
    await route(node, owner, contact, presence('unsubscribed', owner, contact));
    if (hasFrom(old)) await presenceFollows(r, owner, contact, 'lost');
  }
}

/** §3.1.3: requests still pending are delivered again to each resource that becomes available. */
export async function resendSubscriptionRequests(r: Roster, user: Jid): Promise<void> {
  const session = r.ctx.node.sessions.get(user);
  if (!session) return;
  const owner = user.bare();
  const { items } = await r.store.read(owner.local, owner.domain);
  for (const item of items) {
    const contact = item.pendingIn ? tryParseJid(item.jid) : null;
    if (!contact) continue;
    const stanza = createElement('presence', { from: item.jid, to: owner.toString(), type: 'subscribe' }, item.status ? createElement('status', null, item.status) : null);
    deliver(session, contact, user, stanza);
  }
}
