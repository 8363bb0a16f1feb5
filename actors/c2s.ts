/**
 * ejabberd_c2s: one gen_server per client connection, under `c2s_sup` (simple_one_for_one,
 * temporary). A state machine: wait_for_stream → wait_for_feature_request (STARTTLS, SASL) →
 * wait_for_bind → session_established (RFC 6120 §4–§7). Socket bytes arrive as info messages;
 * every bad input ends in its stream error, never in a crash of anything but this process.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { createElement, type Element } from 'ltx';
import type { Process } from '../supervision/process.js';
import { noreply, reply, start, stop, type CallResult, type GenServer, type Result } from '../supervision/gen_server.js';
import type { ChildSpec } from '../supervision/child_spec.js';
import type { ExitReason } from '../supervision/exit_reason.js';
import { StreamParser } from '../src/xml/stream_parser.js';
import { StreamError, streamErrorElement, type StreamErrorCondition } from '../src/xml/stream_error.js';
import { streamHeader, streamFooter } from '../src/xml/stream_header.js';
import { NS_BIND, NS_CLIENT, NS_SASL, NS_SESSION, NS_TLS } from '../src/xml/ns.js';
import { errorReply, iqResult, stanzaError } from '../src/stanza/error.js';
import { offeredMechanisms } from '../src/sasl/mechanisms.js';
import type { ScramServer } from '../src/sasl/scram.js';
import { jid, resourceprep, tryParseJid, type Jid } from '../src/jid.js';
import { childLog } from '../src/log.js';
import type { Node } from './node.js';
import { route } from './router.js';
import { closeSession, openSession, setPresence, type RouteMessage } from './sm.js';
import { NS_SM, StreamManagement, ackElement, enabled, failed, findResumable, parseH, requestElement } from './c2s_sm.js';
import { STOP } from './hooks.js';
import { bindFeatures, channelBindingFeature, featuresElement, mechanismsFeature, tlsFeature } from './c2s_features.js';
import { failure, saslAuth, saslResponse, type SaslStep } from './c2s_sasl.js';
import { checkOutbound } from './c2s_stanza.js';
import { authFailureDelay, recordAuthFailure } from './c2s_backoff.js';

export interface C2sListener {
  kind: 'c2s' | 'c2s_tls';
  starttls: 'required' | 'optional';
  allowPlainWithoutTls: boolean;
}

type Phase = 'wait_for_stream' | 'wait_for_feature_request' | 'wait_for_sasl_response' | 'wait_for_bind' | 'session_established';

type ParserEvent = { kind: 'start'; attrs: Record<string, string> } | { kind: 'stanza'; el: Element } | { kind: 'end' } | { kind: 'error'; error: StreamError };

interface State {
  node: Node;
  self: Process;
  log: ReturnType<typeof childLog>;
  socket: Socket;
  listener: C2sListener;
  encrypted: boolean;
  parser: StreamParser;
  events: ParserEvent[];
  phase: Phase;
  streamId: string;
  headerSent: boolean;
  closed: boolean;
  host: string;
  user: string | null;
  jid: Jid | null;
  /** Has sent available presence (so the next one is not initial). */
  available: boolean;
  scram: ScramServer | null;
  ip: string;
  /** XEP-0198, once the client has enabled it. */
  sm: StreamManagement | null;
  /** The socket is gone but the session waits for a resume (XEP-0198 §5). */
  detached: boolean;
  /** The socket was handed to the c2s of the session being resumed: do not touch it. */
  handedOver: boolean;
}

type Info =
  | { type: 'data'; socket: Socket; chunk: Buffer }
  | { type: 'socket_closed'; socket: Socket }
  | { type: 'tls_ready'; socket: Socket }
  | { type: 'auth_timeout' }
  | { type: 'resume_timeout'; socket: Socket }
  | { type: 'request_ack' };

/** What the c2s of a new connection hands over to the c2s of the session it resumes. */
interface Takeover {
  type: 'takeover';
  user: string;
  host: string;
  h: number;
  socket: Socket;
  parser: StreamParser;
  events: ParserEvent[];
  encrypted: boolean;
  streamId: string;
}

/** `send`: a module writes a top-level element (a nonza, e.g. an XEP-0198 ack) to this client. */
export type C2sCast = RouteMessage | { type: 'replaced' } | { type: 'kick' } | { type: 'ping_timeout' } | { type: 'send'; element: Element };

function attach(state: State, socket: Socket): void {
  state.socket = socket;
  const { self } = state;
  socket.on('data', (chunk: Buffer) => self.info({ type: 'data', socket, chunk } satisfies Info));
  socket.on('close', () => self.info({ type: 'socket_closed', socket } satisfies Info));
  socket.on('error', (err) => state.log.debug({ err: err.message }, 'socket error'));
}

function newParser(state: State): StreamParser {
  const { events } = state;
  const { limits } = state.node.config;
  return new StreamParser(
    {
      streamStart: (attrs) => events.push({ kind: 'start', attrs }),
      stanza: (el) => events.push({ kind: 'stanza', el }),
      streamEnd: () => events.push({ kind: 'end' }),
      error: (error) => events.push({ kind: 'error', error }),
    },
    { maxStanzaSize: limits.max_stanza_size, maxDepth: limits.max_xml_depth },
  );
}

/** Writes within one tick leave in one syscall (cork, uncork on the next tick). */
function send(state: State, data: Element | string): void {
  if (state.closed) return;
  if (state.sm && typeof data !== 'string' && isStanza(data)) {
    state.sm.sent(data);
    if (state.sm.pending > state.node.config.c2s.stream_management.max_ack_queue) {
      return streamError(state, 'policy-violation', 'Too many unacked stanzas');
    }
    if (!state.sm.ackRequested) {
      state.sm.ackRequested = true; // one <r/> per burst, sent once the burst is written
      state.self.info({ type: 'request_ack' } satisfies Info);
    }
  }
  if (state.detached) return; // kept in the queue, resent on resume
  const { socket } = state;
  if (socket.writableCorked === 0) {
    socket.cork();
    process.nextTick(() => socket.uncork());
  }
  socket.write(typeof data === 'string' ? data : data.toString());
}

/** Ends the stream with an error (RFC 6120 §4.9.1.1): the header first if not yet sent, then the error, then close. */
function streamError(state: State, condition: StreamErrorCondition, text?: string): void {
  if (state.closed) return;
  state.log.info({ condition, text, ip: state.ip }, 'stream error');
  if (!state.headerSent) sendHeader(state);
  send(state, streamErrorElement(new StreamError(condition, text)));
  close(state);
}

const isStanza = (el: Element): boolean =>
  (el.name === 'message' || el.name === 'presence' || el.name === 'iq') && (el.attrs.xmlns === undefined || el.attrs.xmlns === NS_CLIENT);

function close(state: State): void {
  if (state.closed || state.handedOver) return;
  send(state, streamFooter());
  state.closed = true;
  state.socket.end();
}

/** Stream ids need only be unpredictable (RFC 6120 §4.7.3): one random pool, sliced. */
let idPool = Buffer.alloc(0);
let idOffset = 0;
function streamId(): string {
  if (idOffset + 8 > idPool.length) {
    idPool = randomBytes(4096);
    idOffset = 0;
  }
  idOffset += 8;
  return idPool.toString('hex', idOffset - 8, idOffset);
}

function sendHeader(state: State): void {
  state.streamId = streamId();
  send(state, streamHeader({ id: state.streamId, from: state.host }));
  state.headerSent = true;
}

const c2s: GenServer<State, { node: Node; socket: Socket; listener: C2sListener }> = {
  init({ node, socket, listener }, self) {
    const state: State = {
      node, self, socket, listener,
      log: childLog({ actor: 'c2s', pid: String(self), ip: socket.remoteAddress }),
      encrypted: listener.kind === 'c2s_tls',
      parser: null as unknown as StreamParser,
      events: [], phase: 'wait_for_stream', streamId: '', headerSent: false, closed: false,
      host: node.hosts[0] as string, user: null, jid: null, available: false, scram: null,
      ip: socket.remoteAddress ?? 'unknown', sm: null, detached: false, handedOver: false,
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
    await rerouteUnacked(state);
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

function onStreamStart(state: State, attrs: Record<string, string>): void {
  const to = (attrs.to ?? '').toLowerCase();
  if (!state.node.hosts.includes(to)) {
    state.host = state.node.hosts[0] as string;
    return streamError(state, 'host-unknown', `this server does not serve '${attrs.to ?? ''}'`);
  }
  state.host = to;
  sendHeader(state);
  void sendFeatures(state);
}

async function sendFeatures(state: State): Promise<void> {
  const { listener, node } = state;
  const children: Element[] = [];
  if (state.jid === null && state.user === null) {
    if (!state.encrypted && listener.kind === 'c2s') children.push(tlsFeature(listener.starttls === 'required'));
    if (!tlsRequired(state)) {
      children.push(mechanismsFeature(mechanisms(state)));
      const cb = channelBindingTypes(state);
      if (cb.length) children.push(channelBindingFeature(cb));
    }
    state.phase = 'wait_for_feature_request';
  } else {
    children.push(...bindFeatures());
    if (state.node.config.c2s.stream_management.enabled) children.push(createElement('sm', { xmlns: NS_SM }));
    state.phase = 'wait_for_bind';
  }
  const extra = await node.hooks.runFold<Element[]>('c2s_stream_features', state.host, [], { authenticated: state.user !== null });
  if (extra !== STOP) children.push(...extra);
  send(state, featuresElement(children));
}

const tlsRequired = (state: State): boolean => !state.encrypted && state.listener.starttls === 'required';

function mechanisms(state: State): string[] {
  return offeredMechanisms({
    tls: state.encrypted,
    channelBindingTypes: channelBindingTypes(state),
    passwordFormat: state.node.config.auth.password_format,
    allowPlainWithoutTls: state.listener.allowPlainWithoutTls,
  });
}

function channelBindingTypes(state: State): string[] {
  if (!(state.socket instanceof TLSSocket)) return [];
  return state.socket.getProtocol() === 'TLSv1.3' ? ['tls-exporter'] : ['tls-unique'];
}

function channelBindingData(state: State): { type: string; data: Buffer } | undefined {
  const socket = state.socket;
  if (!(socket instanceof TLSSocket)) return undefined;
  if (socket.getProtocol() === 'TLSv1.3') return { type: 'tls-exporter', data: socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0)) };
  const finished = socket.getPeerFinished();
  return finished ? { type: 'tls-unique', data: finished } : undefined;
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

async function onFeatureRequest(state: State, el: Element): Promise<void> {
  const ns = el.getNS();
  if (el.name === 'starttls' && ns === NS_TLS && !state.encrypted && state.listener.kind === 'c2s') return startTls(state);
  if (tlsRequired(state)) return streamError(state, 'policy-violation', 'Use of STARTTLS required');
  if (el.name === 'auth' && ns === NS_SASL) {
    const step = await saslAuth(
      { accounts: state.node.accounts, host: state.host, offered: mechanisms(state), channelBinding: channelBindingData(state) },
      el,
    );
    return applySasl(state, step);
  }
  if (el.name === 'iq' && ns === NS_CLIENT) return unauthenticatedIq(state, el);
  streamError(state, 'not-authorized', 'authenticate first');
}

/** Pre-authentication IQs (in-band registration) are offered to modules through `c2s_unauthenticated_iq`. */
async function unauthenticatedIq(state: State, iq: Element): Promise<void> {
  const answer = await state.node.hooks.runFold<Element | null>('c2s_unauthenticated_iq', state.host, null, iq, {
    host: state.host, encrypted: state.encrypted, ip: state.ip,
  });
  if (answer === null || answer === STOP) {
    const reply = errorReply(iq, stanzaError('service-unavailable'));
    if (reply) send(state, reply);
    return;
  }
  send(state, answer);
}

function startTls(state: State): void {
  send(state, createElement('proceed', { xmlns: NS_TLS }));
  const raw = state.socket;
  raw.removeAllListeners('data');
  raw.removeAllListeners('close');
  const secure = new TLSSocket(raw, { isServer: true, secureContext: state.node.secureContext });
  attach(state, secure);
  secure.once('secure', () => state.self.info({ type: 'tls_ready', socket: secure } satisfies Info));
  state.encrypted = true;
  restartStream(state);
}

/** A new stream after STARTTLS or SASL: nothing sent before the restart may leak into it. */
function restartStream(state: State): void {
  state.events.length = 0;
  state.parser = newParser(state); // a fresh parser: not even an error state carries over
  state.phase = 'wait_for_stream';
  state.headerSent = false;
}

async function onSaslResponse(state: State, el: Element): Promise<void> {
  if (el.getNS() !== NS_SASL || !state.scram) return streamError(state, 'not-authorized', 'SASL negotiation in progress');
  if (el.name === 'abort') return applySasl(state, failure('aborted'));
  if (el.name !== 'response') return streamError(state, 'not-authorized', 'expected <response/>');
  return applySasl(state, saslResponse(state.scram, el));
}

async function applySasl(state: State, step: SaslStep): Promise<void> {
  state.scram = null;
  switch (step.kind) {
    case 'challenge':
      state.scram = step.exchange;
      state.phase = 'wait_for_sasl_response';
      return send(state, step.reply);
    case 'success':
      state.user = step.user;
      state.log.info({ user: `${step.user}@${state.host}` }, 'authenticated');
      send(state, step.reply);
      return restartStream(state);
    case 'failure': {
      // Repeated failures from one address are answered ever more slowly (RFC 6120 §6.4.5 allows it).
      const delay = authFailureDelay(recordAuthFailure(state.ip), state.node.config.limits.max_auth_failures);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      state.log.info({ condition: step.condition, ip: state.ip }, 'authentication failed');
      state.phase = 'wait_for_feature_request';
      return send(state, step.reply);
    }
  }
}

async function onBind(state: State, el: Element): Promise<void> {
  if (el.is('resume', NS_SM)) return handOver(state, el);
  const bind = el.name === 'iq' && el.attrs.type === 'set' ? el.getChild('bind', NS_BIND) : undefined;
  if (!bind) {
    if (el.name === 'iq' && el.getChild('session', NS_SESSION)) return send(state, iqResult(el));
    return streamError(state, 'not-authorized', 'bind a resource first');
  }
  const requested = bind.getChildText('resource');
  const resource = requested ? resourceprep(requested) : randomBytes(6).toString('hex');
  if (!resource) return sendError(state, el, 'bad-request', 'invalid resource');
  const full = jid(state.user as string, state.host, resource);
  await openSession(state.node, state.self, full);
  state.jid = full;
  state.phase = 'session_established';
  state.log = state.log.child({ jid: full.toString() });
  state.self.label = `c2s ${full}`;
  send(state, iqResult(el, createElement('bind', { xmlns: NS_BIND }, createElement('jid', null, full.toString()))));
}

function sendError(state: State, stanza: Element, condition: Parameters<typeof stanzaError>[0], text?: string): void {
  const reply = errorReply(stanza, stanzaError(condition, text));
  if (reply) send(state, reply);
}

/** session_established: checks, `user_send_packet`, the privacy check, then the router (ARCHITECTURE §4). */
async function onStanza(state: State, stanza: Element): Promise<void> {
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
  const { node } = state;
  const packet = await node.hooks.runFold('user_send_packet', state.host, stanza, user, verdict.to);
  if (packet === STOP) return;
  if (stanza.name === 'presence' && stanza.attrs.to === user.bareString() && !stanza.attrs.type?.startsWith('sub')) {
    await updatePresence(state, packet as Element); // as the hooks left it (e.g. with the XEP-0153 avatar hash)
  }
  const privacy = await node.hooks.runFold('privacy_check_packet', state.host, 'allow', user, verdict.to, packet, 'out');
  if (privacy === 'deny') return sendError(state, packet as Element, 'not-acceptable', 'blocked');
  await route(node, user, verdict.to, packet as Element);
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
async function deliverToClient(state: State, msg: RouteMessage): Promise<void> {
  if (state.phase !== 'session_established' || state.closed) return;
  const { node } = state;
  const user = state.jid as Jid;
  const packet = await node.hooks.runFold('user_receive_packet', state.host, msg.stanza, user, msg.from);
  if (packet === STOP) return;
  const privacy = await node.hooks.runFold('privacy_check_packet', state.host, 'allow', user, msg.from, packet, 'in');
  if (privacy === 'deny') return;
  send(state, packet as Element);
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

/** XEP-0198 in session_established: `<enable/>`, `<r/>`, `<a/>`. */
function onStreamManagement(state: State, el: Element): void {
  const options = state.node.config.c2s.stream_management;
  switch (el.name) {
    case 'enable':
      if (!options.enabled || state.sm) return send(state, failed('unexpected-request'));
      state.sm = new StreamManagement(state.self, el.attrs.resume === 'true' || el.attrs.resume === '1');
      return send(state, enabled(state.sm, options.resume_timeout));
    case 'r':
      if (state.sm) send(state, ackElement(state.sm.inbound));
      return;
    case 'a': {
      const h = parseH(el.attrs.h);
      if (state.sm && h !== null) state.sm.ack(h);
      return;
    }
  }
  streamError(state, 'unsupported-stanza-type', `<${el.name}/> of XEP-0198 is not valid here`);
}

/** The socket dropped: a resumable session waits `resume_timeout` for its client. */
function detach(state: State): boolean {
  if (!state.sm?.id || state.closed || state.phase !== 'session_established') return false;
  state.detached = true;
  state.log.info({ pending: state.sm.pending }, 'connection lost, waiting for a resume');
  state.self.sendAfter(state.node.config.c2s.stream_management.resume_timeout * 1000, { type: 'resume_timeout', socket: state.socket } satisfies Info);
  return true;
}

/** A new connection asks to resume: its socket goes to the c2s holding the session (XEP-0198 §5). */
async function handOver(state: State, el: Element): Promise<void> {
  const h = parseH(el.attrs.h);
  const holder = el.attrs.previd ? findResumable(el.attrs.previd) : undefined;
  if (h === null || !holder) return send(state, failed('item-not-found'));
  const socket = state.socket;
  socket.pause();
  for (const event of ['data', 'close', 'error']) socket.removeAllListeners(event);
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

/** The holder's side of a resume: take the socket, ack, say `<resumed/>`, resend what was not acknowledged. */
function resume(state: State, t: Takeover): CallResult<State> {
  const sm = state.sm;
  if (!sm?.id || state.jid?.local !== t.user || state.host !== t.host || state.closed) return reply('not resumable', state);
  if (!state.detached) {
    // The client came back before we saw the old connection drop.
    for (const event of ['data', 'close', 'error']) state.socket.removeAllListeners(event);
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
 * The session ends with stanzas the client never acknowledged: messages go back through the
 * router to the user's bare JID (other resources, offline storage, or an error to the sender),
 * so none is silently dropped (XEP-0198 §5 end).
 */
async function rerouteUnacked(state: State): Promise<void> {
  const pending = state.sm?.drain().filter((el) => el.name === 'message' && el.attrs.type !== 'error' && el.attrs.type !== 'groupchat') ?? [];
  if (pending.length === 0 || !state.jid) return;
  await closeSession(state.self).catch(() => undefined);
  for (const message of pending) {
    const from = tryParseJid(message.attrs.from ?? '');
    if (from) await route(state.node, from, state.jid.bare(), message).catch(() => undefined);
  }
}
