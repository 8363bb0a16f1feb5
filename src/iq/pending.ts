/**
 * IQs the server itself sends (a ping, a caps disco#info query) and the replies it waits for,
 * like the callbacks of `ejabberd_router:route_iq/4`. RFC 6120 §8.2.3: the reply is a result or
 * an error with the same id, from the entity that was asked; a reply is matched on both, so a
 * client cannot answer for another. Each table uses its own id prefix; no routing here.
 */
import { randomBytes } from 'node:crypto';
import type { Element } from 'ltx';
import type { Jid } from '../jid.js';

interface Waiting {
  peer: string;
  timer: NodeJS.Timeout;
  resolve(reply: Element | null): void;
}

export class PendingIqs {
  private readonly waiting = new Map<string, Waiting>();

  constructor(private readonly prefix: string) {}

  /** A fresh id for an IQ to `peer`; `reply` resolves with its answer, or null after `timeoutMs`. */
  expect(peer: Jid, timeoutMs: number): { id: string; reply: Promise<Element | null> } {
    const id = `${this.prefix}${randomBytes(8).toString('hex')}`;
    const reply = new Promise<Element | null>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(null);
      }, timeoutMs);
      timer.unref();
      this.waiting.set(id, { peer: peer.toString(), timer, resolve });
    });
    return { id, reply };
  }

  /** True (and the waiter resolved) when `stanza`, sent by `from`, answers one of these IQs. */
  take(stanza: Element, from: Jid): boolean {
    const { type, id } = stanza.attrs;
    if (stanza.name !== 'iq' || (type !== 'result' && type !== 'error') || !id?.startsWith(this.prefix)) return false;
    const waiting = this.waiting.get(id);
    if (!waiting || waiting.peer !== from.toString()) return false;
    this.waiting.delete(id);
    clearTimeout(waiting.timer);
    waiting.resolve(stanza);
    return true;
  }

  get size(): number {
    return this.waiting.size;
  }

  /** Forgets every waiter without resolving it (its owner is gone: nothing must act on a timeout now). */
  clear(): void {
    for (const { timer } of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
  }
}
