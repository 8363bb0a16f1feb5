/**
 * `limits.max_connections_per_ip`, checked where a connection is accepted (TCP, direct TLS,
 * WebSocket) before any c2s exists: past the limit the client gets the `policy-violation`
 * stream error (RFC 6120 §4.9.3.14) and is closed; the counter drops when the socket closes.
 */
import { StreamError, streamErrorElement } from '../src/xml/stream_error.js';
import { streamFooter, streamHeader, wsClose, wsOpen } from '../src/xml/stream_header.js';
import { ConnectionCounter, clientAddress } from '../src/limits/connections.js';
import { childLog } from '../src/log.js';
import type { Node } from './node.js';
import type { C2sListener, C2sSocket } from './c2s_state.js';

const log = childLog({ actor: 'c2s_admission' });
const connections = new ConnectionCounter();

/** Counts the connection and returns true, or refuses it (stream error, close) and returns false. */
export function admit(node: Node, socket: C2sSocket, listener: C2sListener): boolean {
  const ip = clientAddress(socket.remoteAddress);
  const max = node.config.limits.max_connections_per_ip;
  if (!connections.tryOpen(ip, max)) {
    log.warn({ ip, limit: max, listener: listener.kind }, 'connection refused: too many connections from this address');
    for (const part of refusal(node.hosts[0] as string, listener.framing, max)) socket.write(part);
    socket.end();
    return false;
  }
  // Not a c2s handler: the c2s detaches only its own listeners, so this one sees the last close.
  socket.once('close', () => connections.close(ip));
  return true;
}

/** The whole short stream of a refusal: header, error, end (each a message over WebSocket). */
function refusal(host: string, framing: C2sListener['framing'], max: number): string[] {
  const error = streamErrorElement(new StreamError('policy-violation', `at most ${max} connections per address`), framing).toString();
  const header = { id: 'refused', from: host };
  return framing === 'tcp' ? [streamHeader(header) + error + streamFooter()] : [wsOpen(header), error, wsClose()];
}
