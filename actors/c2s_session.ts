/**
 * session_established (ARCHITECTURE §4): a bound client's stanzas go through the checks,
 * `user_send_packet`, the privacy check and the router; stanzas routed to it through
 * `user_receive_packet` and the privacy check to the socket.
 */
import type { Element } from 'ltx';
import { NS_CLIENT, NS_SESSION } from '../src/xml/ns.js';
import { errorReply, iqResult, stanzaError } from '../src/stanza/error.js';
import type { Jid } from '../src/jid.js';
import { route } from './router.js';
import { setPresence, type RouteMessage } from './sm.js';
import { STOP, type Pending } from './hooks.js';
import { NS_SM } from './c2s_sm.js';
import { checkOutbound } from './c2s_stanza.js';
import { onStreamManagement } from './c2s_resume.js';
import { leaveInFlight, send, streamError, type State } from './c2s_state.js';

export function sendError(state: State, stanza: Element, condition: Parameters<typeof stanzaError>[0], text?: string): void {
  const reply = errorReply(stanza, stanzaError(condition, text));
  if (reply) send(state, reply);
}

/**
 * session_established: checks, `user_send_packet`, the privacy check, then the router
 * (ARCHITECTURE §4). The next stanza is taken once this one is delivered; the writes left in
 * flight (both archive rows) are not waited for here, where they would hold up what is routed
 * to this client, but by the next XEP-0198 ack (`state.landed`).
 */
export async function onStanza(state: State, stanza: Element): Promise<void> {
  const user = state.jid as Jid;
  if (stanza.getNS() === NS_SM) return onStreamManagement(state, stanza);
  if (stanza.getNS() !== NS_CLIENT) return onNonza(state, stanza);
  if (state.sm) state.sm.inbound++;
  if (stanza.name === 'iq' && stanza.getChild('session', NS_SESSION)) return send(state, iqResult(stanza));
  const verdict = checkOutbound(stanza, user);
  if (!verdict.ok) {
    if ('stream' in verdict) return streamError(state, verdict.stream, verdict.text);
    stanza.attrs.to = state.host;
    return sendError(state, stanza, verdict.stanza, verdict.text);
  }
  const pending: Pending = [];
  try {
    await userSend(state, stanza, user, verdict.to, pending);
  } finally {
    leaveInFlight(state, pending);
  }
}

/** `user_send_packet`, the privacy check, then the router. */
async function userSend(state: State, stanza: Element, user: Jid, to: Jid, pending: Pending): Promise<void> {
  const { node } = state;
  const packet = await node.hooks.runFold('user_send_packet', state.host, stanza, user, to, pending);
  if (packet === STOP) return;
  const type = stanza.attrs.type;
  if (stanza.name === 'presence' && stanza.attrs.to === user.bareString() && (type === undefined || type === 'unavailable')) {
    await updatePresence(state, packet as Element); // as the hooks left it (e.g. with the XEP-0153 avatar hash)
  }
  const privacy = await node.hooks.runFold('privacy_check_packet', state.host, 'allow', user, to, packet, 'out');
  if (privacy === 'deny') return sendError(state, packet as Element, 'not-acceptable', 'blocked');
  await route(node, user, to, packet as Element, pending);
}

/** Top-level elements other than stanzas (CSI, …) go to modules through `c2s_authenticated_packet`. */
async function onNonza(state: State, el: Element): Promise<void> {
  const handled = await state.node.hooks.runFold('c2s_authenticated_packet', state.host, false, state.jid, el, state.self);
  if (handled !== true) streamError(state, 'unsupported-stanza-type', `<${el.name} xmlns='${el.getNS() ?? ''}'/> is not handled here`);
}

/**
 * Presence broadcast from the client: availability and priority go to sm
 * (`ejabberd_sm:set_presence`), then `user_presence_broadcast` lets the roster fan it out to
 * contacts (and probe them, and flush offline messages, when it is the initial presence).
 */
async function updatePresence(state: State, presence: Element): Promise<void> {
  const user = state.jid as Jid;
  const initial = !state.available && presence.attrs.type !== 'unavailable';
  if (presence.attrs.type === 'unavailable') {
    state.available = false;
    await setPresence(state.self, null, null);
  } else {
    state.available = true;
    const priority = Number.parseInt(presence.getChildText('priority') ?? '0', 10);
    await setPresence(state.self, Number.isNaN(priority) ? 0 : Math.max(-128, Math.min(127, priority)), presence);
  }
  await state.node.hooks.run('user_presence_broadcast', state.host, user, presence, initial);
}

/** A stanza routed to this session: `user_receive_packet`, the incoming privacy check, then the socket. */
export async function deliverToClient(state: State, msg: RouteMessage): Promise<void> {
  if (state.phase !== 'session_established' || state.closed) return;
  const { node } = state;
  const user = state.jid as Jid;
  const packet = await node.hooks.runFold('user_receive_packet', state.host, msg.stanza, user, msg.from);
  if (packet === STOP) return;
  const privacy = await node.hooks.runFold('privacy_check_packet', state.host, 'allow', user, msg.from, packet, 'in');
  if (privacy === 'deny') return;
  send(state, packet as Element);
}
