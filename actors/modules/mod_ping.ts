/**
 * mod_ping: XEP-0199 XMPP ping, both ways, with ejabberd's option names. The server answers
 * pings to itself (§4.2) and, on the user's behalf, to bare JIDs (§4.3, RFC 6121 §8.5.1; a ping
 * to a full JID reaches the client like any IQ). With `send_pings`, a client silent for
 * `ping_interval` seconds is pinged (§4.1); anything it sends counts as an answer (an error
 * too: it proves the connection). No answer within `ping_ack_timeout` and `timeout_action:
 * kill` ends its stream with `connection-timeout` (RFC 6120 §4.9.3.4).
 *
 * Timers are per session, in this module's closure; they go with the module (its exit clears
 * them) and a restarted module picks up the sessions already open. The client's answer comes
 * back through its c2s and is taken in `user_send_packet` by id and sender (PendingIqs).
 */
import { z } from 'zod';
import { createElement, type Element } from 'ltx';
import type { Process } from '../../supervision/process.js';
import { parseJid, type Jid } from '../../src/jid.js';
import { stanzaError } from '../../src/stanza/error.js';
import { childLog } from '../../src/log.js';
import { PendingIqs } from '../../src/iq/pending.js';
import { NS_PING } from '../../src/xml/ns.js';
import type { ModuleContext, ModuleSpec } from '../gen_mod.js';
import type { Iq, IqAnswer } from '../iq_handler.js';
import { STOP } from '../hooks.js';
import { route } from '../router.js';
import type { Session } from '../session_table.js';

interface PingOptions {
  send_pings: boolean;
  /** Seconds of silence before the server pings a client. */
  ping_interval: number;
  /** Seconds the client has to answer. */
  ping_ack_timeout: number;
  /** `kill` disconnects a client that does not answer; `none` keeps it. */
  timeout_action: 'none' | 'kill';
}

const options = z.strictObject({
  send_pings: z.boolean().default(true),
  ping_interval: z.number().positive().default(60),
  ping_ack_timeout: z.number().positive().default(32),
  timeout_action: z.enum(['none', 'kill']).default('kill'),
});

const log = childLog({ actor: 'mod_ping' });

/** What a c2s receives when its client did not answer a ping in time. */
export interface PingTimeoutMessage {
  type: 'ping_timeout';
}

interface Watched {
  jid: Jid;
  pid: Process;
  /** When the client last sent anything (ms). */
  lastSeen: number;
  timer: NodeJS.Timeout | null;
}

interface Ping {
  ctx: ModuleContext;
  opts: PingOptions;
  hostJid: Jid;
  pending: PendingIqs;
  /** Full JID → its watch. */
  watched: Map<string, Watched>;
}

/** §4.2, §4.3: a `get` with `<ping/>` gets an empty result; anything else bad-request (as ejabberd). */
function processPing(iq: Iq): IqAnswer {
  if (iq.type !== 'get' || iq.payload.name !== 'ping') return stanzaError('bad-request', 'ping is <iq type="get"><ping/></iq>');
  return null;
}

function schedule(p: Ping, w: Watched, ms: number): void {
  if (w.timer) clearTimeout(w.timer);
  w.timer = setTimeout(() => idle(p, w).catch((err: unknown) => log.error({ err, jid: w.jid.toString() }, 'ping failed')), ms);
  w.timer.unref();
}

/** Starts watching a session (`sm_register_connection`, or at module start for those already open). */
function watch(p: Ping, jid: Jid, pid: Process): void {
  const key = jid.toString();
  const old = p.watched.get(key);
  if (old?.timer) clearTimeout(old.timer);
  const w: Watched = { jid, pid, lastSeen: Date.now(), timer: null };
  p.watched.set(key, w);
  schedule(p, w, p.opts.ping_interval * 1000);
}

function unwatch(p: Ping, session: Session): void {
  const key = session.jid.toString();
  const w = p.watched.get(key);
  if (!w || w.pid !== session.pid) return; // a replaced session: the watch belongs to the new one
  if (w.timer) clearTimeout(w.timer);
  p.watched.delete(key);
}

/** The interval is up: ping, unless the client spoke meanwhile (then wait for the rest of it). */
async function idle(p: Ping, w: Watched): Promise<void> {
  w.timer = null;
  if (p.watched.get(w.jid.toString()) !== w) return;
  const interval = p.opts.ping_interval * 1000;
  const silent = Date.now() - w.lastSeen;
  if (silent < interval) return schedule(p, w, interval - silent);
  const sentAt = Date.now();
  const { id, reply } = p.pending.expect(w.jid, p.opts.ping_ack_timeout * 1000);
  const ping = createElement('iq', { type: 'get', id, from: p.ctx.host, to: w.jid.toString() }, createElement('ping', { xmlns: NS_PING }));
  await route(p.ctx.node, p.hostJid, w.jid, ping);
  const answer = await reply;
  if (p.watched.get(w.jid.toString()) !== w) return;
  if (answer === null && w.lastSeen < sentAt && p.opts.timeout_action === 'kill') {
    w.pid.cast({ type: 'ping_timeout' } satisfies PingTimeoutMessage);
    return;
  }
  schedule(p, w, interval);
}

/** `user_send_packet`: the answer to our ping is taken here; anything the client sends shows it is alive. */
function clientSent(p: Ping, stanza: Element, user: Jid): Element | typeof STOP {
  const w = p.watched.get(user.toString());
  if (w) w.lastSeen = Date.now();
  return p.pending.take(stanza, user) ? STOP : stanza;
}

export const modPing: ModuleSpec<PingOptions> = {
  name: 'mod_ping',
  xeps: [199],
  options,
  defaultEnabled: true,
  start(ctx, opts) {
    const handler = (iq: Iq): IqAnswer => processPing(iq);
    const registrations = [
      { iq: 'local' as const, ns: NS_PING, handler, disc: 'no_queue' as const },
      { iq: 'sm' as const, ns: NS_PING, handler, disc: 'no_queue' as const },
    ];
    if (!opts.send_pings) return registrations;
    const p: Ping = { ctx, opts, hostJid: parseJid(ctx.host), pending: new PendingIqs('ping-'), watched: new Map() };
    for (const session of ctx.node.sessions.all()) if (session.jid.domain === ctx.host) watch(p, session.jid, session.pid);
    void ctx.self.exited.then(() => {
      p.pending.clear();
      for (const w of p.watched.values()) if (w.timer) clearTimeout(w.timer);
      p.watched.clear();
    });
    return [
      ...registrations,
      {
        hook: 'sm_register_connection',
        callback: (jid: Jid) => {
          const session = ctx.node.sessions.get(jid);
          if (session) watch(p, jid, session.pid);
        },
      },
      { hook: 'sm_remove_connection', callback: (session: Session) => unwatch(p, session) },
      { hook: 'user_send_packet', callback: (stanza: Element, user: Jid) => clientSent(p, stanza, user), priority: 10 },
    ];
  },
};
