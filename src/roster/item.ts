/**
 * Roster items (RFC 6121 §2.1): the stored form, the roster set a client sends (validated as
 * §2.3.3 and §2.5.3 require), and the XML of results and pushes (§2.1.4, §2.1.6). Pure.
 */
import { createElement, type Element } from 'ltx';
import { tryParseJid, type Jid } from '../jid.js';
import { stanzaError, type StanzaError } from '../stanza/error.js';
import { NS_ROSTER } from '../xml/ns.js';
import type { SubState } from './subscription.js';

/** XEP-0237 §3: the stream feature that says the server supports roster versioning. */
export const NS_ROSTERVER = 'urn:xmpp:features:rosterver';
/** RFC 6121 §3.4.1: the stream feature for subscription pre-approval. */
export const NS_PRE_APPROVAL = 'urn:xmpp:features:pre-approval';

/** §2.3.3: "a server-configured limit" for the 'name' attribute and each <group/>, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 1023;
export const MAX_GROUP_BYTES = 1023;

export interface RosterItem extends SubState {
  /** §2.1.2.3: the contact's bare JID, the item's key. */
  jid: string;
  /** §2.1.2.4 */
  name?: string;
  /** §2.1.2.6 */
  groups: string[];
  /**
   * Shown to the user (in results and pushes). An inbound request from someone not in the
   * roster is kept as an unlisted item until the user answers it (§3.1.3).
   */
  listed: boolean;
  /** The <status/> of a pending inbound request, redelivered with it at each login. */
  status?: string;
  /** The roster version (XEP-0237) written with the item's last change. */
  ver: number;
}

/** What a roster set asks for (§2.3, §2.4, §2.5). */
export type RosterSet =
  | { jid: Jid; remove: true }
  | { jid: Jid; remove: false; name?: string; groups: string[] };

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * Validates the <query/> of a roster set: exactly one <item/> (bad-request), a valid 'jid'
 * (jid-malformed), no duplicate groups (bad-request), 'name' and groups within the limits
 * and no empty group (not-acceptable). 'subscription' values other than 'remove' and 'ask'
 * are ignored as §2.1.2.5 and §2.1.2.1 require of the server; values outside their schema are a
 * bad-request.
 */
export function parseRosterSet(query: Element): RosterSet | StanzaError {
  const items = query.getChildren('item');
  if (items.length !== 1 || query.getChildElements().length !== 1) return stanzaError('bad-request', 'a roster set holds exactly one <item/>');
  const item = items[0] as Element;
  const { jid: raw, subscription, ask, name } = item.attrs;
  if (raw === undefined) return stanzaError('bad-request', "the item has no 'jid'");
  const parsed = tryParseJid(raw);
  if (!parsed) return stanzaError('jid-malformed', `'${raw}' is not a valid JID`);
  if (subscription !== undefined && !['none', 'to', 'from', 'both', 'remove'].includes(subscription)) {
    return stanzaError('bad-request', `'${subscription}' is not a subscription state`);
  }
  if (ask !== undefined && ask !== 'subscribe') return stanzaError('bad-request', `'${ask}' is not a valid 'ask'`);
  const jid = parsed.bare();
  if (subscription === 'remove') return { jid, remove: true };
  if (name !== undefined && bytes(name) > MAX_NAME_BYTES) return stanzaError('not-acceptable', `the name is longer than ${MAX_NAME_BYTES} bytes`);
  const groups: string[] = [];
  for (const g of item.getChildElements()) {
    if (g.name !== 'group') continue;
    const text = g.getText();
    if (text.trim() === '') return stanzaError('not-acceptable', 'empty group name');
    if (bytes(text) > MAX_GROUP_BYTES) return stanzaError('not-acceptable', `a group name is longer than ${MAX_GROUP_BYTES} bytes`);
    if (groups.includes(text)) return stanzaError('bad-request', `duplicate group '${text}'`);
    groups.push(text);
  }
  const set: RosterSet = { jid, remove: false, groups };
  if (name !== undefined && name !== '') set.name = name;
  return set;
}

/** A new item for `jid`: no subscription, not yet listed. */
export function emptyItem(jid: string): RosterItem {
  return { jid, groups: [], subscription: 'none', pendingOut: false, pendingIn: false, approved: false, listed: false, ver: 0 };
}

/** §2.3.2, §2.4: a roster set replaces name and groups; the subscription is the server's. */
export function applySet(old: RosterItem | undefined, set: Extract<RosterSet, { remove: false }>): RosterItem {
  const item: RosterItem = { ...(old ?? emptyItem(set.jid.toString())), groups: [...set.groups], listed: true };
  delete item.name;
  if (set.name !== undefined) item.name = set.name;
  return item;
}

/**
 * The item with a new subscription state (RFC 6121 §3). An item that gains a subscription, a
 * request of the user's or a pre-approval becomes listed (§3.1.2, §3.1.5, §3.4.2); the status of
 * an inbound request goes when the request is answered.
 */
export function withSubscription(item: RosterItem, s: SubState): RosterItem {
  const next: RosterItem = { ...item, subscription: s.subscription, pendingOut: s.pendingOut, pendingIn: s.pendingIn, approved: s.approved };
  if (s.subscription !== 'none' || s.pendingOut || s.approved) next.listed = true;
  if (!s.pendingIn) delete next.status;
  return next;
}

/** Nothing left worth storing: not listed, no subscription either way, nothing pending. */
export function isVoid(item: RosterItem): boolean {
  return !item.listed && item.subscription === 'none' && !item.pendingOut && !item.pendingIn && !item.approved;
}

/** §2.1.2: an <item/> as results and pushes carry it; `remove` for a push of a removed item (§2.5.2). */
export function itemElement(item: RosterItem | { jid: string; subscription: 'remove' }): Element {
  if (item.subscription === 'remove') return createElement('item', { jid: item.jid, subscription: 'remove' });
  const attrs: Record<string, string> = { jid: item.jid, subscription: item.subscription };
  if (item.name !== undefined) attrs.name = item.name;
  if (item.pendingOut) attrs.ask = 'subscribe';
  if (item.approved) attrs.approved = 'true';
  return createElement('item', attrs, ...item.groups.map((g) => createElement('group', null, g)));
}

/** A <query xmlns='jabber:iq:roster'/> with `ver` when versioning is on (XEP-0237 §4). */
export function rosterQuery(items: readonly Element[], ver?: string): Element {
  const attrs: Record<string, string> = { xmlns: NS_ROSTER };
  if (ver !== undefined) attrs.ver = ver;
  return createElement('query', attrs, ...items);
}
