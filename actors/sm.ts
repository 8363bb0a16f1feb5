/**
 * ejabberd_sm: sessions and the sm IQ table, kept by the `sm` actor; `smRoute` runs in the
 * caller and delivers by RFC 6121 §8.5 (full JID, bare JID, no session).
 */
import type { Element } from 'ltx';
import type { Process } from '../supervision/process.js';
import type { Jid } from '../src/jid.js';
import { stanzaError } from '../src/stanza/error.js';
import { bounce, type RoutingContext } from './router.js';
import { STOP, type Pending } from './hooks.js';
import { processIq } from './iq_handler.js';
import { updateTable } from './table_keeper.js';
import type { Session, SessionTable } from './session_table.js';

export interface SmContext extends RoutingContext {
  sessions: SessionTable;
}

/** What a c2s process receives for delivery to its client. */
export interface RouteMessage {
  type: 'route';
  from: Jid;
  to: Jid;
  stanza: Element;
}

/** Tells a c2s that a new session took its resource (it closes with `conflict`). */
export interface ReplacedMessage {
  type: 'replaced';
}

export function deliver(session: Session, from: Jid, to: Jid, stanza: Element): void {
  session.pid.cast({ type: 'route', from, to, stanza } satisfies RouteMessage);
}

/**
 * `ejabberd_sm:route/3`; a message first passes `sm_receive_packet` (once, whichever sessions or
 * storage it then reaches). `pending` as for the router's `RouteHandler`.
 */
export function smRoute(ctx: SmContext, from: Jid, to: Jid, stanza: Element, pending?: Pending): Promise<void> | void {
  if (stanza.name === 'message') return receiveMessage(ctx, from, to, stanza, pending);
  return routeToUser(ctx, from, to, stanza);
}

/**
 * The `sm_receive_packet` fold `(stanza, from, to, pending) → stanza | STOP` (mod_mam stamps the
 * message with its archive id there). The message is delivered while the archive write is in
 * flight: the recipient does not wait for the disk. The write goes to the caller's `pending`
 * (a c2s answers its next XEP-0198 ack once it has landed, so an ack still means "in both
 * archives"), or without one is waited for here.
 */
async function receiveMessage(ctx: SmContext, from: Jid, to: Jid, stanza: Element, callers?: Pending): Promise<void> {
  const pending: Pending = callers ?? [];
  try {
    const packet = await ctx.hooks.runFold('sm_receive_packet', to.domain, stanza, from, to, pending);
    if (packet !== STOP) await routeToUser(ctx, from, to, packet);
  } finally {
    if (!callers) await Promise.all(pending);
  }
}

/** Delivery past `sm_receive_packet`; also for a stanza another node handed back (its session had gone). */
export function routeToUser(ctx: SmContext, from: Jid, to: Jid, stanza: Element): Promise<void> | void {
  if (to.resource !== '') {
    const session = ctx.sessions.get(to);
    if (session) return deliver(session, from, to, stanza);
    return routeToUnavailableResource(ctx, from, to, stanza);
  }
  switch (stanza.name) {
    case 'iq': return processIq(ctx, ctx.sessions.iq, from, to, stanza);
    case 'message': return routeMessageToBare(ctx, from, to, stanza);
    case 'presence': return broadcastPresence(ctx, from, to, stanza);
  }
}

/** RFC 6121 §8.5.3.2: no session for this full JID. */
function routeToUnavailableResource(ctx: SmContext, from: Jid, to: Jid, stanza: Element): Promise<void> | void {
  const type = stanza.attrs.type ?? 'normal';
  if (stanza.name === 'message') {
    if (type === 'groupchat' || type === 'headline') return bounceUnlessError(ctx, from, to, stanza);
    if (type === 'error') return;
    return routeMessageToBare(ctx, from, to.bare(), stanza); // normal, chat: as if to the bare JID
  }
  if (stanza.name === 'iq') return bounceUnlessError(ctx, from, to, stanza);
  // presence to an unavailable resource is dropped (§8.5.3.2.2), subscriptions go to the bare JID
  if (type.startsWith('subscri') || type.startsWith('unsubscri')) return broadcastPresence(ctx, from, to.bare(), stanza);
}

function bounceUnlessError(ctx: SmContext, from: Jid, to: Jid, stanza: Element): Promise<void> | void {
  if (stanza.attrs.type !== 'error') return bounce(ctx, from, to, stanza, stanzaError('service-unavailable'));
}

/** RFC 6121 §8.5.2.1.1: to the available resources of highest non-negative priority. */
async function routeMessageToBare(ctx: SmContext, from: Jid, to: Jid, stanza: Element): Promise<void> {
  const type = stanza.attrs.type ?? 'normal';
  const available = ctx.sessions.resources(to).filter((s) => s.priority !== null && s.priority >= 0);
  if (type === 'headline' || type === 'groupchat' || type === 'error') {
    for (const s of available) deliver(s, from, to, stanza);
    return;
  }
  if (available.length > 0) {
    const top = Math.max(...available.map((s) => s.priority as number));
    for (const s of available) if (s.priority === top) deliver(s, from, to, stanza);
    return;
  }
  const stored = await ctx.hooks.runFold('offline_message_hook', to.domain, false, from, to, stanza);
  if (stored !== true) return bounceUnlessError(ctx, from, to, stanza);
}

/** Presence to a bare JID reaches every available resource (probes and subscriptions belong to mod_presence hooks). */
async function broadcastPresence(ctx: SmContext, from: Jid, to: Jid, stanza: Element): Promise<void> {
  const handled = await ctx.hooks.runFold('presence_to_user', to.domain, false, from, to, stanza);
  if (handled === true) return;
  for (const s of ctx.sessions.resources(to)) if (s.priority !== null) deliver(s, from, s.jid, stanza);
}

/** `ejabberd_sm:open_session`: a session on the same resource is replaced (it gets `conflict`). */
export async function openSession(ctx: SmContext, owner: Process, jid: Jid): Promise<void> {
  const previous = await updateTable<SessionTable, Session | undefined>('sm', owner, (t) => t.open(jid, owner));
  previous?.pid.cast({ type: 'replaced' } satisfies ReplacedMessage);
  await ctx.hooks.run('sm_register_connection', jid.domain, jid);
}

export function closeSession(owner: Process): Promise<void> {
  return updateTable<SessionTable, void>('sm', owner, (t) => t.close(owner, 'normal'));
}

/** `ejabberd_sm:set_presence`: availability and priority for bare-JID delivery. */
export function setPresence(owner: Process, priority: number | null, presence: Element | null): Promise<void> {
  return updateTable<SessionTable, void>('sm', owner, (t) => t.setPresence(owner, priority, presence));
}
