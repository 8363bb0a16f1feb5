/**
 * XMPP over WebSocket (RFC 7395) at `/ws` on the HTTP listener: the `xmpp` subprotocol, one
 * element per message. A WebSocket is dressed as the socket a c2s expects, so the same c2s
 * state machine serves it; only the framing differs.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { startChild } from '../supervision/supervisor.js';
import { childLog } from '../src/log.js';
import type { Node } from './node.js';
import type { C2sListener } from './c2s_state.js';
import { admit } from './c2s_admission.js';

const log = childLog({ actor: 'websocket' });


/** The subset of a net.Socket the c2s uses; each `write` is one WebSocket message. */
export class WsSocket extends EventEmitter {
  readonly writableCorked = 0;

  constructor(private readonly ws: WebSocket, readonly remoteAddress: string | undefined) {
    super();
    ws.on('message', (data: RawData) => this.emit('data', Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer)));
    ws.on('close', () => this.emit('close'));
    ws.on('error', (error) => this.emit('error', error));
  }

  write(data: string): boolean {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data);
    return true;
  }

  end(): void {
    this.ws.close(1000);
  }

  destroy(): void {
    this.ws.terminate();
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  cork(): void {}

  uncork(): void {}
}

/** The `/ws` upgrade route for the HTTP listener's route table. */
export function websocketRoute(node: Node): { path: string; access: 'public'; upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void } {
  const secure = node.config.listen.http?.consider_websocket_secure ?? false;
  const listener: C2sListener = { kind: 'websocket', framing: 'websocket', starttls: 'optional', allowPlainWithoutTls: secure };
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: node.config.limits.max_stanza_size,
    // RFC 7395 §3.1: the server must choose the `xmpp` subprotocol, else refuse.
    handleProtocols: (protocols) => (protocols.has('xmpp') ? 'xmpp' : false),
  });
  return {
    path: '/ws',
    access: 'public',
    upgrade(req, socket, head) {
      server.handleUpgrade(req, socket, head, (ws) => {
        if (ws.protocol !== 'xmpp') return ws.close(1002, 'the xmpp subprotocol is required');
        const adapted = new WsSocket(ws, req.socket.remoteAddress);
        if (!admit(node, adapted, listener)) return;
        startChild('c2s_sup', [adapted, listener]).catch((error: unknown) => {
          log.warn({ err: (error as Error).message }, 'could not start c2s');
          ws.terminate();
        });
      });
    },
  };
}
