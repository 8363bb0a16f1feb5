/**
 * mod_client_state: XEP-0352 Client State Indication, as ejabberd's mod_client_state. A bound
 * client says `<inactive/>` or `<active/>` (top-level, through `c2s_authenticated_packet`);
 * `<csi/>` is offered among the stream features after authentication (§4).
 *
 * While a session is inactive, availability presence routed to it is held back in
 * `user_receive_packet` (one per sender's full JID, the latest kept; src/csi). Everything else
 * is delivered at once, after the held presences it must not overtake: a message with a body
 * (urgent: the user is about to look) brings all of them first, any other stanza those of its
 * sender's account (ejabberd's `dequeue_sender`). `<active/>`, or more held senders than
 * `queue_presence_limit`, delivers the whole queue. Delivered late, a presence carries a
 * XEP-0203 `<delay/>` of when it was held.
 *
 * Delivering = casting the stanzas again to the session's own c2s, which runs them through
 * `user_receive_packet` and the privacy check like any other. They land behind what is already
 * in its mailbox; so that nothing overtakes them, until they are through (`pending`), every
 * other stanza goes round the mailbox too, in order. The hook runs first in the fold
 * (priority 5), so every stanza sent round comes back to it.
 *
 * The state of a session, by c2s pid, outlives a restart of this module (ejabberd keeps it in
 * the c2s state) and goes with the session.
 */
import { z } from 'zod';
import { createElement, type Element } from 'ltx';
import type { Process } from '../../supervision/process.js';
import type { Jid } from '../../src/jid.js';
import { isHoldable, isUrgent, NS_CSI, PresenceQueue, withDelay, type Held } from '../../src/csi/queue.js';
import type { ModuleContext, ModuleSpec } from '../gen_mod.js';
import { STOP } from '../hooks.js';
import type { RouteMessage } from '../sm.js';
import type { Session } from '../session_table.js';

interface ClientStateOptions {
  /** Most senders whose presence is held for one session; one more and the queue is delivered. */
  queue_presence_limit: number;
}

const options = z.strictObject({
  queue_presence_limit: z.number().int().positive().default(100),
});

/** Before every other hook: a stanza sent round must come back here, whatever a later hook does with it. */
const PRIORITY = 5;

/**
 * Stanzas sent round are expected back within this time; past it (the module was down while
 * they went through, so they were never seen) the session stops waiting for them.
 */
const PENDING_TIMEOUT_MS = 10_000;

interface ClientState {
  pid: Process;
  jid: Jid;
  inactive: boolean;
  held: PresenceQueue;
  /** Sent round to the c2s and not yet back: until they are, nothing overtakes them. */
  pending: Set<Element>;
  pendingSince: number;
}

const states = new WeakMap<Process, ClientState>();

interface Csi {
  ctx: ModuleContext;
  opts: ClientStateOptions;
}

/** Sends `stanza` round the session's mailbox; it passes when it comes back. */
function sendRound(s: ClientState, from: Jid, stanza: Element): typeof STOP {
  if (s.pending.size === 0) s.pendingSince = Date.now();
  s.pending.add(stanza);
  s.pid.cast({ type: 'route', from, to: s.jid, stanza } satisfies RouteMessage);
  return STOP;
}

function release(c: Csi, s: ClientState, held: Held[]): void {
  for (const h of held) sendRound(s, h.from, withDelay(h.stanza, c.ctx.host, h.at));
}

/** An active session with nothing held or pending needs no state. */
function tidy(s: ClientState): void {
  if (!s.inactive && s.pending.size === 0 && s.held.size === 0) states.delete(s.pid);
}

function hold(c: Csi, s: ClientState, from: Jid, stanza: Element): typeof STOP {
  if (!s.held.has(from) && s.held.size >= c.opts.queue_presence_limit) release(c, s, s.held.takeAll());
  s.held.put({ from, stanza, at: new Date() });
  return STOP;
}

/** `user_receive_packet` in the session `user`. */
function receive(c: Csi, stanza: Element, user: Jid, from: Jid): Element | typeof STOP {
  const pid = c.ctx.node.sessions.get(user)?.pid;
  const s = pid && states.get(pid);
  if (!s) return stanza;
  if (s.pending.delete(stanza)) {
    tidy(s);
    return stanza;
  }
  if (s.pending.size > 0 && Date.now() - s.pendingSince > PENDING_TIMEOUT_MS) s.pending.clear();
  if (s.inactive && isHoldable(stanza)) return hold(c, s, from, stanza);
  if (s.pending.size > 0) return sendRound(s, from, stanza);
  if (!s.inactive) return stanza;
  const first = isUrgent(stanza) ? s.held.takeAll() : s.held.takeFrom(from);
  if (first.length === 0) return stanza;
  release(c, s, first);
  return sendRound(s, from, stanza);
}

/** `c2s_authenticated_packet`: §5.1 `<inactive/>`, §5.2 `<active/>`. */
function clientState(c: Csi, handled: boolean, user: Jid, el: Element, pid: Process): boolean {
  if (handled || el.getNS() !== NS_CSI || (el.name !== 'active' && el.name !== 'inactive')) return handled;
  let s = states.get(pid);
  if (el.name === 'inactive') {
    if (!s) states.set(pid, (s = { pid, jid: user, inactive: true, held: new PresenceQueue(), pending: new Set(), pendingSince: 0 }));
    s.inactive = true;
  } else if (s) {
    s.inactive = false;
    release(c, s, s.held.takeAll());
    tidy(s);
  }
  return true;
}

export const modClientState: ModuleSpec<ClientStateOptions> = {
  name: 'mod_client_state',
  xeps: [352],
  options,
  defaultEnabled: true,
  start(ctx, opts) {
    const c: Csi = { ctx, opts };
    return [
      { hook: 'c2s_authenticated_packet', callback: (acc: boolean, user: Jid, el: Element, pid: Process) => clientState(c, acc, user, el, pid) },
      { hook: 'user_receive_packet', callback: (stanza: Element, user: Jid, from: Jid) => receive(c, stanza, user, from), priority: PRIORITY },
      {
        hook: 'c2s_stream_features',
        callback: (acc: Element[], info: { authenticated: boolean }) => (info.authenticated ? [...acc, createElement('csi', { xmlns: NS_CSI })] : acc),
      },
      { hook: 'sm_remove_connection', callback: (session: Session) => void states.delete(session.pid) },
    ];
  },
};
