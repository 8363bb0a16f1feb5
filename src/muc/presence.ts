/**
 * XEP-0045 occupant presence (§7.2.3–7.2.5, §7.6, §7.14, §8.2, §9.1): the presence the room
 * sends about an occupant, stamped with `<x xmlns='…muc#user'>` (its item: affiliation, role,
 * the real JID for those allowed to see it, a new nick; the status codes). Pure builders.
 */
import { clone, createElement, type Element } from 'ltx';
import type { Affiliation, Role } from './roles.js';
import { NS_MUC, NS_MUC_USER } from './ns.js';

export interface ItemInfo {
  affiliation: Affiliation;
  role: Role;
  /** The real JID, only for those the room lets see it (§7.2.3, §7.2.4). */
  jid?: string;
  /** §7.6.3: the new nick, in the unavailable presence of a nick change. */
  nick?: string;
  /** §8.2, §9.1: who did it, and why. */
  actor?: string;
  reason?: string;
}

export function itemElement(i: ItemInfo): Element {
  const attrs: Record<string, string> = { affiliation: i.affiliation, role: i.role };
  if (i.jid !== undefined) attrs.jid = i.jid;
  if (i.nick !== undefined) attrs.nick = i.nick;
  const item = createElement('item', attrs);
  if (i.actor !== undefined) item.append(createElement('actor', { nick: i.actor }));
  if (i.reason !== undefined) item.append(createElement('reason', null, i.reason));
  return item;
}

/** `<x xmlns='…muc#user'>` with the item and status codes (and any extra child, e.g. `<destroy/>`). */
export function userX(item: ItemInfo | null, codes: readonly number[], ...extra: Element[]): Element {
  const x = createElement('x', { xmlns: NS_MUC_USER });
  if (item) x.append(itemElement(item));
  for (const code of codes) x.append(createElement('status', { code: String(code) }));
  for (const el of extra) x.append(el);
  return x;
}

const isMucX = (c: Element | string): boolean =>
  typeof c !== 'string' && c.name === 'x' && (c.getNS() === NS_MUC || c.getNS() === NS_MUC_USER);

/**
 * The occupant's presence as the room broadcasts it (§7.2.3): the client's own children
 * (show, status, caps…) without its MUC elements, from `room@service/nick`, plus our `<x/>`.
 */
export function occupantPresence(from: string, to: string, own: Element | null, x: Element, type?: 'unavailable'): Element {
  const attrs: Record<string, string> = { from, to };
  if (type) attrs.type = type;
  const presence = createElement('presence', attrs);
  for (const child of own?.children ?? []) if (!isMucX(child) && typeof child !== 'string') presence.append(clone(child));
  presence.append(x);
  return presence;
}

/** What the room keeps of a client's presence: its children without MUC elements, frozen by being a copy. */
export function ownPresence(stanza: Element): Element {
  const copy = createElement('presence');
  for (const child of stanza.children) if (typeof child !== 'string' && !isMucX(child)) copy.append(clone(child));
  return copy;
}

/** The `<password/>` of a join (§7.2.6), if any. */
export const joinPassword = (stanza: Element): string | undefined => stanza.getChild('x', NS_MUC)?.getChildText('password') ?? undefined;
