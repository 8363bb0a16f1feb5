/**
 * XEP-0198 in the c2s: enable, acks, detaching when the socket drops, resuming by handing the
 * new connection's socket to the c2s that holds the session, and rerouting what was never
 * acknowledged when the session ends.
 */
import { createElement, type Element } from 'ltx';
import { reply, type CallResult } from '../supervision/gen_server.js';
import { tryParseJid } from '../src/jid.js';
import { route } from './router.js';
import { closeSession, type RouteMessage } from './sm.js';
import { NS_SM, StreamManagement, ackElement, enabled, failed, findResumable, parseH } from './c2s_sm.js';
import { attach, releaseSocket, send, streamError, type Info, type State, type Takeover } from './c2s_state.js';

/** `<a h/>` once what it counts has landed: an acknowledged message is in both archives. */
async function ackLanded(state: State, sm: StreamManagement): Promise<void> {
  await state.landed;
  send(state, ackElement(sm.inbound));
}

/** XEP-0198 in session_established: `<enable/>`, `<r/>`, `<a/>`. */
export function onStreamManagement(state: State, el: Element): void | Promise<void> {
  const options = state.node.config.c2s.stream_management;
  switch (el.name) {
    case 'enable':
      if (!options.enabled || state.sm) return send(state, failed('unexpected-request'));
      state.sm = new StreamManagement(state.self, el.attrs.resume === 'true' || el.attrs.resume === '1');
      return send(state, enabled(state.sm, options.resume_timeout));
    case 'r':
      return state.sm ? ackLanded(state, state.sm) : undefined;
    case 'a': {
      const h = parseH(el.attrs.h);
      if (state.sm && h !== null) state.sm.ack(h);
      return;
    }
  }
  streamError(state, 'unsupported-stanza-type', `<${el.name}/> of XEP-0198 is not valid here`);
}

/** The socket dropped: a resumable session waits `resume_timeout` for its client. */
export function detach(state: State): boolean {
  if (!state.sm?.id || state.closed || state.phase !== 'session_established') return false;
  state.detached = true;
  state.log.info({ pending: state.sm.pending }, 'connection lost, waiting for a resume');
  state.self.sendAfter(state.node.config.c2s.stream_management.resume_timeout * 1000, { type: 'resume_timeout', socket: state.socket } satisfies Info);
  return true;
}

/** A new connection asks to resume: its socket goes to the c2s holding the session (XEP-0198 §5). */
export async function handOver(state: State, el: Element): Promise<void> {
  const h = parseH(el.attrs.h);
  const holder = el.attrs.previd ? findResumable(el.attrs.previd) : undefined;
  if (h === null || !holder) return send(state, failed('item-not-found'));
  const socket = state.socket;
  socket.pause();
  releaseSocket(socket);
  const takeover: Takeover = {
    type: 'takeover', user: state.user as string, host: state.host, h, socket,
    parser: state.parser, events: state.events, encrypted: state.encrypted, streamId: state.streamId,
  };
  const outcome = await holder.call<string>(takeover).catch(() => 'gone');
  if (outcome !== 'ok') {
    attach(state, socket);
    socket.resume();
    return send(state, failed('item-not-found'));
  }
  state.handedOver = true;
  state.closed = true;
  state.events = []; // the parser and its queue now belong to the holder
}

/**
 * The holder's side of a resume: take the socket, ack, say `<resumed/>` (with an h that counts
 * only what has landed), resend what was not acknowledged.
 */
export async function resume(state: State, t: Takeover): Promise<CallResult<State>> {
  await state.landed;
  const sm = state.sm;
  if (!sm?.id || state.jid?.local !== t.user || state.host !== t.host || state.closed) return reply('not resumable', state);
  if (!state.detached) {
    // The client came back before we saw the old connection drop.
    releaseSocket(state.socket);
    state.socket.destroy();
  }
  sm.ack(t.h);
  state.detached = false;
  state.parser = t.parser;
  state.events = t.events;
  state.encrypted = t.encrypted;
  state.streamId = t.streamId;
  attach(state, t.socket);
  t.socket.resume();
  send(state, createElement('resumed', { xmlns: NS_SM, previd: sm.id, h: String(sm.inbound % 2 ** 32) }));
  for (const stanza of sm.drain()) send(state, stanza);
  state.log.info('session resumed');
  if (state.events.length > 0) void state.self.info({ type: 'data', socket: t.socket, chunk: Buffer.alloc(0) } satisfies Info);
  return reply('ok', state);
}

/**
 * The session ends with messages its client never got: those written but never acknowledged
 * (XEP-0198 §5 end) and those still queued in this process's mailbox (routed to it before it
 * left the session table; ejabberd_c2s's bounce_messages). They go back through the router to
 * the user's bare JID (other resources, offline storage, or an error to the sender), so none is
 * silently dropped. The session leaves the table first, so nothing more is routed here.
 */
export async function rerouteUndelivered(state: State): Promise<void> {
  if (!state.jid || state.phase !== 'session_established') return;
  await closeSession(state.self).catch(() => undefined);
  const queued = state.self.takeMessages(isRouteMessage).map((m) => (m as RouteMessage).stanza);
  const pending = [...(state.sm?.drain() ?? []), ...queued].filter(isReroutable);
  for (const message of pending) {
    const from = tryParseJid(message.attrs.from ?? '');
    if (from) await route(state.node, from, state.jid.bare(), message).catch(() => undefined);
  }
}

const isRouteMessage = (msg: unknown): boolean => (msg as RouteMessage | null)?.type === 'route';

const isReroutable = (el: Element): boolean => el.name === 'message' && el.attrs.type !== 'error' && el.attrs.type !== 'groupchat';
