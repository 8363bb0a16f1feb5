/**
 * XEP-0280 Message Carbons (1.0.1), the pure part: which messages are copied (§6), the
 * `<sent/>` / `<received/>` wrapper (§7, §8, XEP-0297 forwarding), `<private/>` (§9), and who
 * gets a `<received/>` copy of a message delivered to one session (§7: every Carbons-enabled
 * resource that did not receive it under the RFC 6121 §8.5 rules).
 */
import { clone, createElement, Element } from 'ltx';
import type { Jid } from '../jid.js';
import { NS_CLIENT } from '../xml/ns.js';

export const NS_CARBONS = 'urn:xmpp:carbons:2';
/** XEP-0297 */
export const NS_FORWARD = 'urn:xmpp:forward:0';
/** XEP-0334 message processing hints (`<no-copy/>`). */
export const NS_HINTS = 'urn:xmpp:hints';
/** XEP-0045: a MUC private message carries `<x xmlns='…muc#user'/>`; §6 excludes it. */
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';

export type Direction = 'sent' | 'received';

/** A carbon copy (or a message claiming to be one): `<sent/>` or `<received/>` in the carbons namespace. */
export function isCarbon(message: Element): boolean {
  return message.getChild('sent', NS_CARBONS) !== undefined || message.getChild('received', NS_CARBONS) !== undefined;
}

/**
 * §6 (the suggested rules, as ejabberd and Prosody apply them): a message of type chat, or
 * normal with a body; not from a MUC (PMs included), not marked `<private/>` (§9) or
 * `<no-copy/>` (XEP-0334), and not itself a carbon copy.
 */
export function isEligible(stanza: Element): boolean {
  if (stanza.name !== 'message') return false;
  const type = stanza.attrs.type ?? 'normal';
  if (type !== 'chat' && !(type === 'normal' && stanza.getChild('body'))) return false;
  return (
    stanza.getChild('private', NS_CARBONS) === undefined &&
    stanza.getChild('no-copy', NS_HINTS) === undefined &&
    stanza.getChild('x', NS_MUC_USER) === undefined &&
    !isCarbon(stanza)
  );
}

export const isPrivate = (stanza: Element): boolean => stanza.getChild('private', NS_CARBONS) !== undefined;

/** §9: the receiving server SHOULD remove `<private/>` before delivery. Pure: a copy without it. */
export function withoutPrivate(stanza: Element): Element {
  const copy = clone(stanza);
  copy.children = copy.children.filter((c) => !(c instanceof Element && c.name === 'private' && c.getNS() === NS_CARBONS));
  return copy;
}

/**
 * §7, §8: `<message from=bare to=resource type=…><sent|received xmlns=carbons><forwarded
 * xmlns=forward:0><message xmlns='jabber:client' …original…/></forwarded></…></message>`.
 */
export function carbonCopy(direction: Direction, original: Element, user: Jid, to: Jid): Element {
  const inner = clone(original);
  inner.attrs.xmlns = NS_CLIENT; // inside <forwarded/> it would otherwise inherit urn:xmpp:forward:0
  const attrs: Record<string, string> = { from: user.bareString(), to: to.toString() };
  if (original.attrs.type !== undefined) attrs.type = original.attrs.type;
  return createElement(
    'message', attrs,
    createElement(direction, { xmlns: NS_CARBONS }, createElement('forwarded', { xmlns: NS_FORWARD }, inner)),
  );
}

/** What the copy rules need to know of one of the user's sessions. */
export interface ResourceView {
  jid: Jid;
  /** null: no available presence yet (RFC 6121 §8.5: not a bare-JID recipient). */
  priority: number | null;
  carbons: boolean;
}

/**
 * §8: the sessions that get a `<sent/>` copy of what `sender` sent: the Carbons-enabled ones but
 * the sender itself.
 */
export function sentCopyTargets<R extends ResourceView>(resources: readonly R[], sender: Jid): R[] {
  return resources.filter((r) => r.carbons && !r.jid.equals(sender));
}

/**
 * §7: the sessions that get a `<received/>` copy of a message from `sender` addressed to
 * `addressed` and delivered to `receiver`, decided in the receiver's session. Addressed to the
 * receiver's full JID: every other Carbons-enabled session. Otherwise (the bare JID, or a full
 * JID with no session, which RFC 6121 §8.5.3.2.1 routes as the bare JID) each available resource
 * of highest non-negative priority got it: the first of them (by resource) copies, once, to the
 * Carbons-enabled sessions that did not get it; the others copy nothing. The sender (a message
 * between two resources of one account) never gets a copy of its own message.
 */
export function receivedCopyTargets<R extends ResourceView>(resources: readonly R[], receiver: Jid, addressed: Jid | null, sender: Jid): R[] {
  const copyTo = (skip: (r: R) => boolean): R[] => resources.filter((r) => r.carbons && !r.jid.equals(sender) && !r.jid.equals(receiver) && !skip(r));
  if (addressed && addressed.equals(receiver)) return copyTo(() => false);
  const available = resources.filter((r) => r.priority !== null && r.priority >= 0);
  const top = Math.max(...available.map((r) => r.priority as number));
  const got = available.filter((r) => r.priority === top).sort((a, b) => (a.jid.resource < b.jid.resource ? -1 : 1));
  const first = got[0];
  if (first && !first.jid.equals(receiver) && got.some((r) => r.jid.equals(receiver))) return [];
  return copyTo((r) => got.includes(r));
}
