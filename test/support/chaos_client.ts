/**
 * One chaos user: a real @xmpp/client session with stream management (XEP-0198) that chats and
 * edits its roster, and a ledger of what the server acknowledged (the sender's `<a h/>` for
 * each message, the `result` of each roster set) and what reached it. When its connection is
 * crashed it logs in again (a new session: a crashed one is not resumable).
 */
import type { Element } from 'ltx';
import { condition, iq, NS_ROSTER } from './im.js';
import { connect, xml, type TestClient } from './xmpp.js';

export const MESSAGE_ID = /^cm-/;

/** One roster set or remove and how the server answered it. */
export interface RosterOp {
  jid: string;
  /** The name written, or null for a remove. */
  name: string | null;
  outcome: 'result' | 'error' | 'unanswered';
  /** The error condition, when the answer was one. */
  condition?: string;
}

/** Shared by all users of one run: what the server said about every message. */
export interface MessageLedger {
  /** id → recipient (bare user name) for every message sent. */
  sent: Map<string, string>;
  acked: Set<string>;
  /** Bounced back to the sender with an error: refused, and the sender was told. */
  bounced: Set<string>;
  /** id → times it reached its recipient. */
  delivered: Map<string, number>;
}

export const newLedger = (): MessageLedger => ({ sent: new Map(), acked: new Set(), bounced: new Set(), delivered: new Map() });

interface Sm {
  on(event: 'ack', listener: (stanza: Element) => void): void;
  requestAckDebounce: number;
}

/** Message ids are unique in the whole test process, across users and their restarts. */
let lastMessage = 0;

export class ChaosUser {
  private session: TestClient | null = null;
  private contacts = 0;
  private closing = false;
  /** Connections the driver crashed and this user has not yet seen drop. */
  expectedDrops = 0;
  /** What happened to this user's connections (crashes asked, drops seen), for the report of an unexpected drop. */
  readonly events: string[] = [];
  /** Drops nobody asked for, with the stream error the server gave (or how the connection ended). */
  readonly unexpectedDrops: string[] = [];
  crashedDrops = 0;
  readonly roster: RosterOp[] = [];
  private rosterBusy = false;

  constructor(
    readonly name: string,
    private readonly port: number,
    private readonly ledger: MessageLedger,
    private readonly random: () => number,
  ) {}

  /** Milliseconds since the epoch, for the event log. */
  at(): string {
    return `@${Date.now() % 1_000_000}`;
  }

  get online(): boolean {
    return this.session !== null;
  }

  /** Logs in (direct TLS, SCRAM), enables stream management, sends initial presence. */
  async login(): Promise<void> {
    const session = await connect({ port: this.port, scheme: 'xmpps', username: this.name, password: `${this.name}-pw`, resource: 'chaos' });
    const sm = (session.xmpp as unknown as { streamManagement: Sm }).streamManagement;
    // xmpp.js asks for an ack only after 250 ms without sending: a steady sender would never
    // learn what the server handled before a crash.
    sm.requestAckDebounce = 50;
    sm.on('ack', (stanza) => {
      if (stanza.is('message') && MESSAGE_ID.test(stanza.attrs.id ?? '')) this.ledger.acked.add(stanza.attrs.id as string);
    });
    session.xmpp.on('stanza', (el: Element) => this.received(el));
    let lastError = 'closed without a stream error';
    session.xmpp.on('error', (error: Error & { condition?: string }) => (lastError = error.condition ?? error.message));
    session.xmpp.on('disconnect', () => void this.dropped(session, lastError));
    this.session = session;
    await session.xmpp.send(xml('presence'));
  }

  private received(el: Element): void {
    const id = el.attrs.id ?? '';
    if (!el.is('message') || !MESSAGE_ID.test(id)) return;
    if (el.attrs.type === 'error') this.ledger.bounced.add(id);
    else this.ledger.delivered.set(id, (this.ledger.delivered.get(id) ?? 0) + 1);
  }

  /** The connection dropped: expected only after a crash of its c2s; either way, come back. */
  private async dropped(session: TestClient, why: string): Promise<void> {
    if (this.session !== session || this.closing) return;
    this.session = null;
    this.events.push(`drop (${why}) ${this.at()}`);
    if (this.expectedDrops > 0) {
      this.expectedDrops--;
      this.crashedDrops++;
    } else {
      this.unexpectedDrops.push(`${why} (${this.events.join('; ')})`);
    }
    await session.stop();
    for (let attempt = 0; attempt < 5 && !this.closing && !this.session; attempt++) {
      try {
        await this.login();
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** A chat message to `to` (a bare user name); it counts once the server acks it. */
  async chat(to: string): Promise<void> {
    const session = this.session;
    if (!session) return;
    const id = `cm-${this.name}-${++lastMessage}`;
    this.ledger.sent.set(id, to);
    await session.xmpp.send(xml('message', { to: `${to}@localhost`, type: 'chat', id }, xml('body', {}, id))).catch(() => undefined);
  }

  /** A roster set (new contact or a rename) or a remove, one at a time; its answer is recorded. */
  async editRoster(): Promise<void> {
    const session = this.session;
    if (!session || this.rosterBusy) return;
    this.rosterBusy = true;
    const known = [...new Set(this.roster.map((op) => op.jid))];
    const remove = known.length > 0 && this.random() < 0.25;
    const jid = known.length > 0 && this.random() < 0.5 ? known[Math.floor(this.random() * known.length)] as string : `c${++this.contacts}-${this.name}@example.net`;
    const op: RosterOp = { jid, name: remove ? null : `v${this.roster.length}`, outcome: 'unanswered' };
    this.roster.push(op);
    const item = remove ? xml('item', { jid, subscription: 'remove' }) : xml('item', { jid, name: op.name as string }, xml('group', {}, 'chaos'));
    try {
      // Not xmpp.js's iqCaller: an answer that comes before its send() resolves is an unhandled rejection there.
      const answer = await iq(session, 'set', xml('query', { xmlns: NS_ROSTER }, item), undefined, 10_000);
      op.outcome = answer.attrs.type === 'result' ? 'result' : 'error';
      if (op.outcome === 'error') op.condition = condition(answer) ?? 'undefined-condition';
    } catch {
      // no answer in time, or the connection is gone: 'unanswered'
    } finally {
      this.rosterBusy = false;
    }
  }

  /** Ends the session cleanly (the client acks what it received first, so nothing is rerouted twice). */
  async close(): Promise<void> {
    this.closing = true;
    const session = this.session;
    this.session = null;
    await session?.stop();
  }

  /**
   * What each contact must be after the run: the last acknowledged write decides, unless a
   * later write went unanswered (it may or may not have been applied).
   */
  expectedRoster(): Map<string, string | null> {
    const out = new Map<string, string | null>();
    const unsure = new Set<string>();
    for (const op of this.roster) {
      if (op.outcome === 'result') {
        out.set(op.jid, op.name);
        unsure.delete(op.jid);
      } else if (op.outcome === 'unanswered') {
        unsure.add(op.jid);
      }
    }
    for (const jid of unsure) out.delete(jid);
    return out;
  }
}
