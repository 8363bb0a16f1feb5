/**
 * ejabberd_c2s: one gen_server per client connection, under `c2s_sup` (simple_one_for_one,
 * temporary). A state machine: wait_for_stream → wait_for_feature_request (STARTTLS, SASL) →
 * wait_for_bind → session_established (RFC 6120 §4–§7). Socket bytes arrive as info messages;
 * every bad input ends in its stream error, never in a crash of anything but this process.
 */
import type { Socket } from 'node:net';
import type { Element } from 'ltx';
import { noreply, start, stop, type GenServer, type Result } from '../supervision/gen_server.js';
import type { ChildSpec } from '../supervision/child_spec.js';
import type { ExitReason } from '../supervision/exit_reason.js';
import { childLog } from '../src/log.js';
import type { Node } from './node.js';
import { requestElement } from './c2s_sm.js';
import { onBind, onFeatureRequest, onSaslResponse, onStreamStart } from './c2s_negotiation.js';
import { deliverToClient, onStanza } from './c2s_session.js';
import { detach, rerouteUndelivered, resume } from './c2s_resume.js';
import { newShaper, shape } from './c2s_shaper.js';
import {
  attach, close, newParser, send, streamError,
  type C2sCast, type C2sListener, type Info, type ParserEvent, type State, type Takeover,
} from './c2s_state.js';
import type { StreamParser } from '../src/xml/stream_parser.js';

export type { C2sCast, C2sListener };

const c2s: GenServer<State, { node: Node; socket: Socket; listener: C2sListener }> = {
  init({ node, socket, listener }, self) {
    const state: State = {
      node, self, socket, listener,
      log: childLog({ actor: 'c2s', pid: String(self), ip: socket.remoteAddress }),
      encrypted: listener.kind === 'c2s_tls',
      parser: null as unknown as StreamParser,
      events: [], phase: 'wait_for_stream', streamId: '', headerSent: false, closed: false,
      host: node.hosts[0] as string, user: null, jid: null, available: false, scram: null,
      ip: socket.remoteAddress ?? 'unknown', sm: null, landed: Promise.resolve(), detached: false, handedOver: false,
      shaper: newShaper(node.config, Date.now()),
    };
    state.parser = newParser(state);
    attach(state, socket);
    self.sendAfter(node.config.limits.auth_timeout_s * 1000, { type: 'auth_timeout' } satisfies Info);
    return state;
  },

  async handleInfo(msg, state) {
    const info = msg as Info;
    switch (info.type) {
      case 'data':
        if (info.socket !== state.socket || state.closed) return noreply(state);
        shape(state, info.socket, info.chunk.length);
        state.parser.write(info.chunk);
        return drainEvents(state);
      case 'socket_closed':
        if (info.socket !== state.socket) return noreply(state);
        return detach(state) ? noreply(state) : stop('normal', state);
      case 'resume_timeout':
        return state.detached && info.socket === state.socket ? stop('normal', state) : noreply(state);
      case 'request_ack':
        if (state.sm && state.sm.pending > 0 && !state.detached) send(state, requestElement());
        return noreply(state);
      case 'shaper_resume':
        // Also a socket since wrapped by TLS: its reads feed the TLS socket.
        info.socket.resume();
        return noreply(state);
      case 'tls_ready':
        state.encrypted = true;
        return noreply(state);
      case 'auth_timeout':
        if (!state.jid) streamError(state, 'connection-timeout', 'not authenticated in time');
        return state.closed ? stop('normal', state) : noreply(state);
    }
  },

  async handleCast(msg, state) {
    const cast = msg as C2sCast;
    switch (cast.type) {
      case 'route': await deliverToClient(state, cast); break;
      case 'send': send(state, cast.element); break;
      case 'replaced': streamError(state, 'conflict', 'Replaced by new connection'); break;
      case 'kick': streamError(state, 'policy-violation', 'Kicked by administrator'); break;
      case 'ping_timeout': streamError(state, 'connection-timeout', 'Ping timeout'); break; // mod_ping
    }
    return state.closed ? stop('normal', state) : noreply(state);
  },

  handleCall(request, _from, state) {
    const takeover = request as Takeover;
    if (takeover.type !== 'takeover') throw new Error(`c2s: unknown call ${String(takeover.type)}`);
    return resume(state, takeover);
  },

  async terminate(reason: ExitReason, state) {
    state.sm?.release();
    await rerouteUndelivered(state);
    if (state.handedOver) return;
    if (reason === 'shutdown') streamError(state, 'system-shutdown');
    else if (reason instanceof Error) streamError(state, 'internal-server-error');
    else close(state);
    // Let the closing tag flush; a peer that never closes its side is cut off later.
    setTimeout(() => state.socket.destroy(), 5000).unref();
  },
};

async function drainEvents(state: State): Promise<Result<State>> {
  while (state.events.length > 0 && !state.closed) {
    const event = state.events.shift() as ParserEvent;
    switch (event.kind) {
      case 'start': onStreamStart(state, event.attrs); break;
      case 'stanza': await onElement(state, event.el); break;
      case 'end': close(state); break;
      case 'error': streamError(state, event.error.condition, event.error.text); break;
    }
  }
  state.events.length = 0;
  return state.closed ? stop('normal', state) : noreply(state);
}

async function onElement(state: State, el: Element): Promise<void> {
  switch (state.phase) {
    case 'wait_for_stream': return streamError(state, 'not-well-formed', 'no stream header');
    case 'wait_for_feature_request': return onFeatureRequest(state, el);
    case 'wait_for_sasl_response': return onSaslResponse(state, el);
    case 'wait_for_bind': return onBind(state, el);
    case 'session_established': return onStanza(state, el);
  }
}

export function c2sChildSpec(node: Node): ChildSpec {
  return {
    id: 'c2s',
    restart: 'temporary',
    shutdown: node.config.shutdown_timeout_ms,
    start: (parent, socket: Socket, listener: C2sListener) =>
      start(c2s, { node, socket, listener }, { link: parent, label: 'c2s', trapExit: true }),
  };
}
