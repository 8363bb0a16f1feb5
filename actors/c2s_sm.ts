/**
 * XEP-0198 stream management state of one c2s: the inbound counter, the queue of stanzas
 * sent but not yet acknowledged, and the node-wide table of resumable sessions (id → c2s).
 */
import { randomBytes } from 'node:crypto';
import { createElement, type Element } from 'ltx';
import type { Process } from '../supervision/process.js';

export const NS_SM = 'urn:xmpp:sm:3';

/** Resumable sessions of this node: the previd a client presents → the c2s that holds the session. */
const resumable = new Map<string, Process>();

export function findResumable(id: string): Process | undefined {
  const pid = resumable.get(id);
  return pid?.alive ? pid : undefined;
}

export class StreamManagement {
  /** Stanzas handled from the client (its `h` when we ack). */
  inbound = 0;
  /** Stanzas acknowledged by the client. */
  private acked = 0;
  private readonly unacked: Element[] = [];
  ackRequested = false;
  readonly id: string | null;

  constructor(owner: Process, resume: boolean) {
    this.id = resume ? randomBytes(12).toString('base64url') : null;
    if (this.id) resumable.set(this.id, owner);
  }

  get pending(): number {
    return this.unacked.length;
  }

  /** A stanza written (or to be written) to the client. */
  sent(stanza: Element): void {
    this.unacked.push(stanza);
  }

  /** `<a h='…'/>`: drops what the client has handled; h counts modulo 2^32 (XEP-0198 §4). */
  ack(h: number): void {
    const count = (h - this.acked + 2 ** 32) % 2 ** 32;
    if (count > this.unacked.length) return; // more than we sent: ignore rather than lose the queue
    this.unacked.splice(0, count);
    this.acked = h;
    this.ackRequested = false;
  }

  /** Takes the unacknowledged stanzas out (to resend on resume, or to reroute when the session ends). */
  drain(): Element[] {
    return this.unacked.splice(0);
  }

  release(): void {
    if (this.id) resumable.delete(this.id);
  }
}

export const enabled = (sm: StreamManagement, max: number): Element =>
  createElement('enabled', sm.id ? { xmlns: NS_SM, id: sm.id, resume: 'true', max: String(max) } : { xmlns: NS_SM });

export const ackElement = (h: number): Element => createElement('a', { xmlns: NS_SM, h: String(h % 2 ** 32) });
export const requestElement = (): Element => createElement('r', { xmlns: NS_SM });

export function failed(condition: string, h?: number): Element {
  const attrs: Record<string, string> = { xmlns: NS_SM };
  if (h !== undefined) attrs.h = String(h);
  return createElement('failed', attrs, createElement(condition, { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }));
}

/** A non-negative integer `h`, or null for anything else. */
export function parseH(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,10}$/.test(value)) return null;
  const h = Number(value);
  return h < 2 ** 32 ? h : null;
}
