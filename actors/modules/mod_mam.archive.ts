/**
 * mod_mam's archiving (XEP-0313 §5.1.1, XEP-0359, XEP-0441): the sender's copy in
 * `user_send_packet`, the recipient's in `sm_receive_packet`, each only when the user's
 * preferences want it; the preferences cache both this and the IQ handler use.
 */
import type { Element } from 'ltx';
import type { Jid } from '../../src/jid.js';
import type { UserRemoval } from '../../src/storage/user_removal.js';
import { isArchivable, stanzaIdOf, withoutStanzaId, withStanzaId } from '../../src/mam/archive.js';
import { isArchiveId } from '../../src/mam/id.js';
import { archiveRule, type DefaultPref, type Prefs } from '../../src/mam/prefs.js';
import type { ModuleContext } from '../gen_mod.js';
import { STOP, type Pending } from '../hooks.js';
import type { MamStore } from './mod_mam.store.js';
import { childLog } from '../../src/log.js';
import type { JidInfo } from './mod_roster.js';

export interface MamOptions {
  /** The archiving default of users who set no preferences. */
  default: DefaultPref;
  /** Days a message is kept; 0 keeps them forever. */
  retention_days: number;
  /** The most results in one page (XEP-0059 `max` above it is lowered). */
  max_page: number;
}

export const DAY_MS = 86_400_000;
const PREFS_CACHED = 10_000;
const log = childLog({ actor: 'mod_mam' });

export interface Mam {
  ctx: ModuleContext;
  opts: MamOptions;
  store: MamStore;
  /** Preferences of users seen lately (userKey → prefs, or null for none set). */
  prefsCache: Map<string, Prefs | null>;
}

const cacheKey = (user: Jid): string => user.bareString();

/** The user's preferences, or the module's default. */
export async function prefsOf(m: Mam, user: Jid): Promise<Prefs> {
  const key = cacheKey(user);
  let p = m.prefsCache.get(key);
  if (p === undefined) {
    const stored = (await m.store.prefs(user.local, user.domain)) ?? null;
    p = m.prefsCache.get(key) ?? stored; // a set while we read wins
    if (m.prefsCache.size >= PREFS_CACHED) m.prefsCache.clear();
    m.prefsCache.set(key, p);
  }
  return p ?? { default: m.opts.default, always: [], never: [] };
}

export async function setPrefs(m: Mam, user: Jid, prefs: Prefs): Promise<void> {
  await m.store.setPrefs(user.local, user.domain, prefs);
  m.prefsCache.set(cacheKey(user), prefs);
}

/** XEP-0441 §2: do `user`'s preferences archive messages with `peer`? */
async function wanted(m: Mam, user: Jid, peer: Jid): Promise<boolean> {
  const rule = archiveRule(await prefsOf(m, user), peer);
  if (rule !== 'roster') return rule === 'always';
  const info = await m.ctx.node.hooks.runFold<JidInfo | null>('roster_get_jid_info', user.domain, null, user, peer.bare());
  return info !== null && info !== STOP;
}

/** A write the fold's caller waits for; its failure is logged, the message goes on. */
function leavePending(pending: Pending, written: Promise<void>, user: string, id: string): void {
  pending.push(written.catch((err: unknown) => log.error({ err, user, id }, 'archive write failed')));
}

/** The time before which messages are expired, in µs (0: keep everything). */
export const retentionCutoff = (m: Mam): number => (m.opts.retention_days > 0 ? (Date.now() - m.opts.retention_days * DAY_MS) * 1000 : 0);

/**
 * `user_send_packet`: the sender's archive, outgoing (peer: `to`). The stanza goes on with its
 * stanza-id so that the `<sent/>` carbons (mod_carboncopy, next priority) tell the user's other
 * clients the id (XEP-0313 §3.5); {@link stripOwnStanzaId} takes it off before routing. The
 * write is not waited for here but put in `pending`: the message is routed while it is in
 * flight (the recipient's archive write joins it in the same group commit), and the c2s's next
 * XEP-0198 ack waits until it is written.
 */
export async function archiveOutgoing(m: Mam, stanza: Element, user: Jid, to: Jid, pending: Pending): Promise<Element> {
  const by = user.bareString();
  const message = withoutStanzaId(stanza, by);
  if (!isArchivable(message) || !(await wanted(m, user.bare(), to))) return message;
  const { id, written } = await m.store.append(user.local, user.domain, { peer: to.toString(), out: true, xml: message.toString() });
  // A message to oneself is looked up on its way in (alreadyArchived): store reads see rows in flight.
  leavePending(pending, written, by, id);
  return withStanzaId(message, by, id);
}

/** `user_send_packet`, last: the sender's archive id is not for the recipient (XEP-0313 §3.5), unless that is the sender's own account. */
export const stripOwnStanzaId = (stanza: Element, user: Jid, to: Jid): Element =>
  stanza.name === 'message' && to.bareString() !== user.bareString() ? withoutStanzaId(stanza, user.bareString()) : stanza;

/** Would the server accept this message for `owner`: an account, and a sender it does not block? */
async function accepted(m: Mam, from: Jid, owner: Jid, stanza: Element): Promise<boolean> {
  const { node } = m.ctx;
  if (node.sessions.resources(owner).length === 0 && !(await node.accounts.exists(owner.local, owner.domain))) return false;
  const privacy = await node.hooks.runFold('privacy_check_packet', owner.domain, 'allow', owner, from, stanza, 'in');
  return privacy !== 'deny' && privacy !== STOP;
}

/**
 * A message that carries the stanza-id it is archived under: routed again (XEP-0198 reroutes
 * what a vanished session did not acknowledge), or a message to oneself, archived once as
 * outgoing. Ids are unpredictable, so a sender cannot claim one it was never shown.
 */
async function alreadyArchived(m: Mam, stanza: Element, from: Jid, owner: Jid): Promise<boolean> {
  const id = stanzaIdOf(stanza, owner.bareString());
  if (id === undefined || !isArchiveId(id)) return false;
  const [archived] = await m.store.get(owner.local, owner.domain, [id]);
  if (archived === undefined) return false;
  return archived.out ? from.bare().equals(owner) : archived.peer === from.toString();
}

/**
 * `sm_receive_packet`: the recipient's archive, incoming (peer: `from`), once per message; the
 * copy goes on with its stanza-id. A message with nothing to archive and no stanza-id claimed
 * in the owner's name (each copy of a room's groupchat) passes at once, without a promise.
 */
export function archiveIncoming(m: Mam, stanza: Element, from: Jid, to: Jid, pending: Pending): Element | Promise<Element> {
  if (stanza.name !== 'message' || (!isArchivable(stanza) && stanzaIdOf(stanza, to.bareString()) === undefined)) return stanza;
  return archiveIncomingMessage(m, stanza, from, to.bare(), pending);
}

/** The write goes in `pending`: sm delivers the stamped copy while it is in flight. */
async function archiveIncomingMessage(m: Mam, stanza: Element, from: Jid, owner: Jid, pending: Pending): Promise<Element> {
  if (await alreadyArchived(m, stanza, from, owner)) return stanza;
  const message = withoutStanzaId(stanza, owner.bareString());
  if (!isArchivable(message) || !(await accepted(m, from, owner, message)) || !(await wanted(m, owner, from))) return message;
  const { id, written } = await m.store.append(owner.local, owner.domain, { peer: from.toString(), out: false, xml: message.toString() });
  leavePending(pending, written, owner.bareString(), id);
  return withStanzaId(message, owner.bareString(), id);
}

/** `remove_user`: the archive and preferences go, then their cache entry. */
export async function removeUser(m: Mam, removal: UserRemoval): Promise<void> {
  await m.store.removeUser(removal);
  removal.afterCommit(() => m.prefsCache.delete(`${removal.user}@${removal.host}`));
}
