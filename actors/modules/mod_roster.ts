/**
 * mod_roster: RFC 6121 §2 roster management with XEP-0237 versioning, and the presence
 * subscriptions of §3 (in `mod_roster.subscription.ts`). The path of the seed (ARCHITECTURE §4):
 * `processIq` → `processLocalIq` → `processIqGet` / `processIqSet` → `processItemSet` per item →
 * `pushItem`. IQs run `one_queue`, in this module's mailbox; every item change is one atomic,
 * fsynced batch holding the item and the new version, and the result leaves after it.
 */
import { z } from 'zod';
import { createElement, type Element } from 'ltx';
import { jid, tryParseJid, type Jid } from '../../src/jid.js';
import { isStanzaError, stanzaError } from '../../src/stanza/error.js';
import { NS_ROSTER } from '../../src/xml/ns.js';
import { applySet, itemElement, NS_PRE_APPROVAL, NS_ROSTERVER, parseRosterSet, rosterQuery, type RosterItem, type RosterSet } from '../../src/roster/item.js';
import { hasFrom, hasTo, type Subscription } from '../../src/roster/subscription.js';
import type { ModuleContext, ModuleSpec } from '../gen_mod.js';
import type { Iq, IqAnswer } from '../iq_handler.js';
import { STOP } from '../hooks.js';
import { cachedRosterStore } from './mod_roster.cache.js';
import type { RosterStore } from './mod_roster.store.js';
import { pushItem, ROSTER_REQUESTED, updateItem, type Roster, type RosterOptions } from './mod_roster.push.js';
import { inSubscription, outSubscription, resendSubscriptionRequests, sendUnsubscribingPresence } from './mod_roster.subscription.js';
import type { UserRemoval } from '../../src/storage/user_removal.js';

export { pushItem };

/** `mod_roster:process_iq`: a roster is read and written by its own user only (§2.1.5, §2.3.3). */
export function processIq(r: Roster, iq: Iq): Promise<IqAnswer> | IqAnswer {
  if (!iq.to.equals(iq.from.bare())) return stanzaError('forbidden', "only the user may access the user's roster");
  return processLocalIq(r, iq);
}

export function processLocalIq(r: Roster, iq: Iq): Promise<IqAnswer> {
  return iq.type === 'get' ? processIqGet(r, iq) : processIqSet(r, iq);
}

/**
 * §2.2 roster get: the requesting resource becomes interested (it gets pushes from now on).
 * XEP-0237 §4: a `ver` equal to the current version gets an empty result; anything else the
 * whole roster with the current `ver`. Read under the user's lock, so items and version agree.
 */
export async function processIqGet(r: Roster, iq: Iq): Promise<IqAnswer> {
  const session = r.ctx.node.sessions.get(iq.from);
  if (session) r.ctx.node.sessions.setInfo(session.pid, ROSTER_REQUESTED, true);
  const user = iq.from.bare();
  return r.store.transaction(user.local, user.domain, async (tx) => {
    const ver = iq.payload.attrs.ver;
    if (r.opts.versioning && ver !== undefined && ver === String(tx.version)) return null;
    const items = await r.ctx.node.hooks.runFold<RosterItem[]>('roster_get', user.domain, [], user);
    const listed = items === STOP ? [] : items.filter((i) => i.listed);
    return rosterQuery(listed.map(itemElement), r.opts.versioning ? String(tx.version) : undefined);
  });
}

/** §2.3–§2.5 roster set: validated (§2.3.3) before anything is read or written. */
export async function processIqSet(r: Roster, iq: Iq): Promise<IqAnswer> {
  const set = parseRosterSet(iq.payload);
  if (isStanzaError(set)) return set;
  return processItemSet(r, iq.from.bare(), set);
}

/**
 * `mod_roster:process_item_set`: one transaction (read, apply, `roster_process_item`, one batch
 * with the version, push); a removal then ends the subscriptions both ways (§2.5.2).
 */
export async function processItemSet(r: Roster, user: Jid, set: RosterSet): Promise<IqAnswer> {
  const { hooks } = r.ctx.node;
  const changed = await updateItem(r, user, set.jid.toString(), async (old) => {
    if (set.remove) return old?.listed ? null : stanzaError('item-not-found', 'no such item in the roster'); // §2.5.3
    const item = await hooks.runFold('roster_process_item', user.domain, applySet(old, set), user.domain);
    return item === STOP ? undefined : item;
  });
  if (isStanzaError(changed)) return changed;
  if (set.remove && changed.old) await sendUnsubscribingPresence(r, user, set.jid, changed.old);
  return null;
}

/** `roster_get` at priority 50: the stored items (other modules may fold in more, as shared rosters do). */
async function getUserRoster(r: Roster, acc: RosterItem[], user: Jid): Promise<RosterItem[]> {
  const { items } = await r.store.read(user.local, user.domain);
  return [...acc, ...items];
}

export interface JidInfo {
  subscription: Subscription;
  groups: string[];
}

/** `roster_get_jid_info`: the subscription `user` has with `contact` (for probes, privacy). */
async function getJidInfo(r: Roster, acc: JidInfo | null, user: Jid, contact: Jid): Promise<JidInfo | null> {
  const item = await r.store.item(user.local, user.domain, contact.bareString());
  return item ? { subscription: item.subscription, groups: item.groups } : acc;
}

export interface SubscriptionLists {
  /** Bare JIDs subscribed to the user's presence (from, both). */
  from: string[];
  /** Bare JIDs whose presence the user receives (to, both). */
  to: string[];
}

/** `roster_get_subscription_lists`: who gets the user's broadcast presence, and whom to probe. */
async function getSubscriptionLists(r: Roster, acc: SubscriptionLists, user: Jid): Promise<SubscriptionLists> {
  const { items } = await r.store.read(user.local, user.domain);
  return { from: [...acc.from, ...items.filter(hasFrom).map((i) => i.jid)], to: [...acc.to, ...items.filter(hasTo).map((i) => i.jid)] };
}

/** `remove_user`: the account's contacts are told (§2.5.2), then the roster goes. */
async function removeUser(r: Roster, user: string, host: string, removal: UserRemoval): Promise<void> {
  const { items } = await r.store.read(user, host);
  const self = jid(user, host);
  for (const item of items) {
    const contact = tryParseJid(item.jid);
    if (contact) await sendUnsubscribingPresence(r, self, contact, item);
  }
  await r.store.removeUser(removal);
}

const options = z.strictObject({
  versioning: z.boolean().default(true),
  pre_approval: z.boolean().default(true),
  sync_writes: z.boolean().default(true),
  // parallel: one process per IQ; a per-user lock keeps each user's read-modify-write serial,
  // and concurrent users' batches share an fsync (ARCHITECTURE §4 allows either).
  iqdisc: z.enum(['no_queue', 'one_queue', 'parallel']).default('parallel'),
  use_cache: z.boolean().default(true),
  cache_size: z.number().int().positive().default(100_000),
  cache_life_time: z.number().positive().default(3600),
  max_roster_size: z.number().int().positive().default(1000),
});

/**
 * The configured store, behind the cache unless `use_cache: false` (the cache goes with this
 * process). Only on LevelDB: PostgreSQL is shared by the nodes of a cluster, and a roster
 * another node changes would be stale here.
 */
function rosterStore(ctx: ModuleContext, opts: RosterOptions): RosterStore {
  const store = ctx.node.stores.roster({ sync: opts.sync_writes });
  if (!opts.use_cache || ctx.node.stores.shared) return store;
  const cached = cachedRosterStore(store, { size: opts.cache_size, lifeTime: opts.cache_life_time });
  void ctx.self.exited.then(() => cached.close());
  return cached;
}

export const modRoster: ModuleSpec<RosterOptions> = {
  name: 'mod_roster',
  xeps: [237],
  options,
  defaultEnabled: true,
  start(ctx, opts) {
    const r: Roster = { ctx, opts, store: rosterStore(ctx, opts) };
    const features = (): Element[] => [
      ...(opts.versioning ? [createElement('ver', { xmlns: NS_ROSTERVER })] : []),
      ...(opts.pre_approval ? [createElement('sub', { xmlns: NS_PRE_APPROVAL })] : []),
    ];
    return [
      { iq: 'sm', ns: NS_ROSTER, handler: (iq: Iq) => processIq(r, iq), disc: opts.iqdisc },
      { hook: 'roster_get', callback: (acc: RosterItem[], user: Jid) => getUserRoster(r, acc, user) },
      { hook: 'roster_get_jid_info', callback: (acc: JidInfo | null, user: Jid, contact: Jid) => getJidInfo(r, acc, user, contact) },
      { hook: 'roster_get_subscription_lists', callback: (acc: SubscriptionLists, user: Jid) => getSubscriptionLists(r, acc, user) },
      { hook: 'user_send_packet', callback: (stanza: Element, user: Jid, to: Jid) => outSubscription(r, stanza, user, to) },
      { hook: 'presence_to_user', callback: (acc: boolean, from: Jid, to: Jid, stanza: Element) => inSubscription(r, acc, from, to, stanza) },
      {
        hook: 'user_presence_broadcast',
        callback: (user: Jid, _presence: Element, initial: boolean) => (initial ? resendSubscriptionRequests(r, user) : undefined),
        priority: 60,
      },
      {
        hook: 'c2s_stream_features',
        callback: (acc: Element[], info: { authenticated: boolean }) => (info.authenticated ? [...acc, ...features()] : acc),
      },
      { hook: 'remove_user', callback: (user: string, host: string, removal: UserRemoval) => removeUser(r, user, host, removal) },
    ];
  },
};
