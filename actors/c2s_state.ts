/**
 * The state of one c2s process and the primitives every phase uses: the socket, the parser,
 * writing (one syscall per tick, XEP-0198 accounting), stream errors and closing.
 */
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Element } from 'ltx';
import type { Process } from '../supervision/process.js';
import { StreamParser } from '../src/xml/stream_parser.js';
import { StreamError, streamErrorElement, type StreamErrorCondition } from '../src/xml/stream_error.js';
import { streamHeader, streamFooter, wsClose, wsOpen } from '../src/xml/stream_header.js';
import { NS_CLIENT } from '../src/xml/ns.js';
import type { ScramServer } from '../src/sasl/scram.js';
import type { Jid } from '../src/jid.js';
import type { Shaper } from '../src/limits/shaper.js';
import { childLog } from '../src/log.js';
import type { Node } from './node.js';
import type { Pending } from './hooks.js';
import type { RouteMessage } from './sm.js';
import type { StreamManagement } from './c2s_sm.js';
import type { WsSocket } from './c2s_websocket.js';

/** A TCP or TLS socket, or a WebSocket dressed as one. */
export type C2sSocket = Socket | WsSocket;

export interface C2sListener {
  kind: 'c2s' | 'c2s_tls' | 'websocket';
  /** RFC 7395: over WebSocket each message is one element and the stream is `<open/>`…`<close/>`. */
  framing: 'tcp' | 'websocket';
  starttls: 'required' | 'optional';
  allowPlainWithoutTls: boolean;
}

export type Phase = 'wait_for_stream' | 'wait_for_feature_request' | 'wait_for_sasl_response' | 'wait_for_bind' | 'session_established';

export type ParserEvent = { kind: 'start'; attrs: Record<string, string> } | { kind: 'stanza'; el: Element } | { kind: 'end' } | { kind: 'error'; error: StreamError };

export interface State {
  node: Node;
  self: Process;
  log: ReturnType<typeof childLog>;
  socket: C2sSocket;
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
  /** Resolves once the writes left in flight by every stanza handled so far have landed. */
  landed: Promise<void>;
  /** The socket is gone but the session waits for a resume (XEP-0198 §5). */
  detached: boolean;
  /** The socket was handed to the c2s of the session being resumed: do not touch it. */
  handedOver: boolean;
  /** `limits.c2s_shaper`, null for none. */
  shaper: Shaper | null;
}

export type Info =
  | { type: 'data'; socket: C2sSocket; chunk: Buffer }
  | { type: 'socket_closed'; socket: C2sSocket }
  | { type: 'tls_ready'; socket: C2sSocket }
  | { type: 'auth_timeout' }
  | { type: 'resume_timeout'; socket: C2sSocket }
  | { type: 'request_ack' }
  | { type: 'shaper_resume'; socket: C2sSocket };

/** What the c2s of a new connection hands over to the c2s of the session it resumes. */
export interface Takeover {
  type: 'takeover';
  user: string;
  host: string;
  h: number;
  socket: C2sSocket;
  parser: StreamParser;
  events: ParserEvent[];
  encrypted: boolean;
  streamId: string;
}

/** `send`: a module writes a top-level element (a nonza, e.g. an XEP-0198 ack) to this client. */
export type C2sCast = RouteMessage | { type: 'replaced' } | { type: 'kick' } | { type: 'ping_timeout' } | { type: 'send'; element: Element };

/** Adds a stanza's writes in flight to what the next XEP-0198 ack waits for. */
export function leaveInFlight(state: State, pending: Pending): void {
  if (pending.length > 0) state.landed = Promise.all([state.landed, ...pending]).then(() => undefined);
}

type SocketListeners = { data: (chunk: Buffer) => void; close: () => void };
const attached = new WeakMap<C2sSocket, SocketListeners>();

export function attach(state: State, socket: C2sSocket): void {
  state.socket = socket;
  const { self } = state;
  const listeners: SocketListeners = {
    data: (chunk) => self.info({ type: 'data', socket, chunk } satisfies Info),
    close: () => self.info({ type: 'socket_closed', socket } satisfies Info),
  };
  socket.on('data', listeners.data);
  socket.on('close', listeners.close);
  socket.on('error', (err) => state.log.debug({ err: err.message }, 'socket error'));
  attached.set(socket, listeners);
}

/**
 * Undoes `attach` (the socket goes to TLS or to another c2s), leaving other listeners in place:
 * the connection counter's `close`, and an `error` listener, which a socket must never lack.
 */
export function releaseSocket(socket: C2sSocket): void {
  const listeners = attached.get(socket);
  if (!listeners) return;
  socket.off('data', listeners.data);
  socket.off('close', listeners.close);
  attached.delete(socket);
}

export function newParser(state: State): StreamParser {
  const { events } = state;
  const { limits } = state.node.config;
  return new StreamParser(
    {
      streamStart: (attrs) => events.push({ kind: 'start', attrs }),
      stanza: (el) => events.push({ kind: 'stanza', el }),
      streamEnd: () => events.push({ kind: 'end' }),
      error: (error) => events.push({ kind: 'error', error }),
    },
    { maxStanzaSize: limits.max_stanza_size, maxDepth: limits.max_xml_depth, framing: state.listener.framing },
  );
}

/** Writes within one tick leave in one syscall (cork, uncork on the next tick). */
export function send(state: State, data: Element | string): void {
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
  if (state.listener.framing === 'tcp' && socket.writableCorked === 0) {
    socket.cork();
    process.nextTick(() => socket.uncork());
  }
  socket.write(typeof data === 'string' ? data : data.toString());
}

/** The conditions a limit ends a stream with (size, depth, time, queues): worth a warning with the address. */
const LIMIT_HITS: ReadonlySet<StreamErrorCondition> = new Set(['policy-violation', 'connection-timeout', 'resource-constraint']);

/** Ends the stream with an error (RFC 6120 §4.9.1.1): the header first if not yet sent, then the error, then close. */
export function streamError(state: State, condition: StreamErrorCondition, text?: string): void {
  if (state.closed) return;
  state.log[LIMIT_HITS.has(condition) ? 'warn' : 'info']({ condition, text, ip: state.ip }, 'stream error');
  if (!state.headerSent) sendHeader(state);
  send(state, streamErrorElement(new StreamError(condition, text), state.listener.framing));
  close(state);
}

export const isStanza = (el: Element): boolean =>
  (el.name === 'message' || el.name === 'presence' || el.name === 'iq') && (el.attrs.xmlns === undefined || el.attrs.xmlns === NS_CLIENT);

export function close(state: State): void {
  if (state.closed || state.handedOver) return;
  send(state, state.listener.framing === 'tcp' ? streamFooter() : wsClose());
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

export function sendHeader(state: State): void {
  state.streamId = streamId();
  const header = { id: state.streamId, from: state.host };
  send(state, state.listener.framing === 'tcp' ? streamHeader(header) : wsOpen(header));
  state.headerSent = true;
}
