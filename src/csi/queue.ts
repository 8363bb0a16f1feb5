/**
 * XEP-0352 Client State Indication (1.0), the pure part: what an inactive client's server holds
 * back (availability presence, §6 "suppress presence updates"), what is urgent enough to be
 * delivered at once with everything held before it (a message with a body, or the carbon copy
 * of one), and the queue of held presences: one per sender's full JID, the latest kept, in the
 * order of the latest, as ejabberd's mod_client_state keeps it.
 */
import { clone, createElement, type Element } from 'ltx';
import type { Jid } from '../jid.js';
import { NS_CARBONS, NS_FORWARD } from '../carbons/carbons.js';

export const NS_CSI = 'urn:xmpp:csi:0';
/** XEP-0203 */
export const NS_DELAY = 'urn:xmpp:delay';

/** Availability presence (no type, or unavailable): what an inactive client does not need at once. */
export function isHoldable(stanza: Element): boolean {
  return stanza.name === 'presence' && (stanza.attrs.type === undefined || stanza.attrs.type === 'unavailable');
}

/** A message with a body, or a carbon copy (XEP-0280) of one: the user is about to look. */
export function isUrgent(stanza: Element): boolean {
  if (stanza.name !== 'message') return false;
  if (stanza.getChild('body')) return true;
  const wrapper = stanza.getChild('sent', NS_CARBONS) ?? stanza.getChild('received', NS_CARBONS);
  return wrapper?.getChild('forwarded', NS_FORWARD)?.getChild('message')?.getChild('body') !== undefined;
}

/** XEP-0203: a copy stamped with when the server held it (kept as is if it already has a delay). Pure. */
export function withDelay(stanza: Element, host: string, at: Date): Element {
  const copy = clone(stanza);
  if (!copy.getChild('delay', NS_DELAY)) {
    copy.append(createElement('delay', { xmlns: NS_DELAY, from: host, stamp: at.toISOString() }, 'Client Inactive'));
  }
  return copy;
}

export interface Held {
  from: Jid;
  stanza: Element;
  /** When it was held (the XEP-0203 stamp). */
  at: Date;
}

/** Held presences by sender (full JID): a newer presence replaces the older one and goes last. */
export class PresenceQueue {
  private readonly bySender = new Map<string, Held>();

  get size(): number {
    return this.bySender.size;
  }

  has(sender: Jid): boolean {
    return this.bySender.has(sender.toString());
  }

  put(held: Held): void {
    const key = held.from.toString();
    this.bySender.delete(key); // re-inserted: the order is that of the latest presences
    this.bySender.set(key, held);
  }

  /** Everything, oldest first; the queue is left empty. */
  takeAll(): Held[] {
    const all = [...this.bySender.values()];
    this.bySender.clear();
    return all;
  }

  /** The presences of every resource of `sender`'s account, oldest first (ejabberd's `queue_take`). */
  takeFrom(sender: Jid): Held[] {
    const taken: Held[] = [];
    for (const [key, held] of this.bySender) {
      if (held.from.local === sender.local && held.from.domain === sender.domain) {
        taken.push(held);
        this.bySender.delete(key);
      }
    }
    return taken;
  }
}
