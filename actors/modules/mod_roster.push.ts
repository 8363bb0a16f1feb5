/**
 * What the parts of mod_roster share: the module's context, the interested resources
 * (RFC 6121 §2.2: those that requested the roster), one item change as a transaction, and
 * `pushItem` (§2.1.6), the roster push that every change to a listed item causes.
 */
import { createElement, type Element } from 'ltx';
import type { Process } from '../../supervision/process.js';
import type { Jid } from '../../src/jid.js';
import { isStanzaError, type StanzaError } from '../../src/stanza/error.js';
import { isVoid, itemElement, rosterQuery, type RosterItem } from '../../src/roster/item.js';
import type { ModuleContext } from '../gen_mod.js';
import type { IqDisc } from '../iq_handler.js';
import { deliver } from '../sm.js';
import type { RosterStore } from './mod_roster.store.js';

export interface RosterOptions {
  /** XEP-0237 roster versioning. */
  versioning: boolean;
  /** RFC 6121 §3.4 subscription pre-approval. */
  pre_approval: boolean;
  /** fsync each roster batch before answering (see mod_roster.level.ts). */
  sync_writes: boolean;
  /**
   * ejabberd's `iqdisc`: `one_queue` runs roster IQs in this module's mailbox, one at a time;
   * `parallel` runs each in its own process, one user's changes still serialised by the
   * store's per-user lock, and concurrent users' writes sharing an fsync (group commit).
   */
  iqdisc: IqDisc;
  /** ejabberd's `use_cache`, `cache_size`, `cache_life_time` (mod_roster.cache.ts). */
  use_cache: boolean;
  cache_size: number;
  cache_life_time: number;
}

export interface Roster {
  ctx: ModuleContext;
  opts: RosterOptions;
  store: RosterStore;
}

/**
 * The c2s processes that requested the roster. Keyed by pid, not kept in the module's process:
 * a restarted mod_roster still pushes to the resources that asked before its crash, and an
 * entry goes with its c2s (`sm_remove_connection`, or the garbage collector).
 */
const interested = new WeakSet<Process>();

export function markInterested(pid: Process): void {
  interested.add(pid);
}

export function forgetInterested(pid: Process): void {
  interested.delete(pid);
}

let pushes = 0;

/** `mod_roster:push_item`: the item (or its removal) to every interested resource of `user`, with the roster version. */
export function pushItem(r: Roster, user: Jid, item: Element, version: number): void {
  for (const session of r.ctx.node.sessions.resources(user)) {
    if (!interested.has(session.pid)) continue;
    const attrs: Record<string, string> = { type: 'set', id: `push${(++pushes).toString(36)}`, from: user.bareString(), to: session.jid.toString() };
    const query = rosterQuery([item], r.opts.versioning ? String(version) : undefined);
    deliver(session, user, session.jid, createElement('iq', attrs, query));
  }
}

/** The new item, null to delete it, undefined to leave it, or an error to answer. */
export type Change = RosterItem | null | undefined | StanzaError;

export interface Changed {
  old: RosterItem | undefined;
  item: RosterItem | undefined;
  version: number;
}

/**
 * One item change of `user`'s roster, atomic and serialised per user: `change` sees the stored
 * item, its answer is written with the version bump in one batch, and the push goes out before
 * the lock is released, so pushes leave in version order. An item left with nothing in it
 * (not listed, no subscription, nothing pending) is deleted rather than stored.
 */
export async function updateItem(
  r: Roster, user: Jid, contact: string, change: (old: RosterItem | undefined) => Change | Promise<Change>,
): Promise<Changed | StanzaError> {
  return r.store.transaction(user.local, user.domain, async (tx) => {
    const old = await tx.item(contact);
    const next = await change(old);
    if (isStanzaError(next)) return next;
    if (next === undefined) return { old, item: old, version: tx.version };
    const item = next && !isVoid(next) ? next : null;
    if (!item && !old) return { old, item: undefined, version: tx.version };
    // What the user sees of the item: only a visible change gets a new version and a push.
    const before = old?.listed ? itemElement(old).toString() : null;
    const after = item?.listed ? itemElement(item) : null;
    const visible = before !== (after?.toString() ?? null);
    const version = await tx.write(contact, item, visible);
    if (visible) pushItem(r, user, after ?? itemElement({ jid: contact, subscription: 'remove' }), version);
    return { old, item: item ? { ...item, ver: visible ? version : item.ver } : undefined, version };
  });
}
