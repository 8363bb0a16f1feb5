/**
 * The HTTP listener (ejabberd_http), a gen_server under `listeners_sup` on `listen.http`
 * (5280): `/metrics`, and the observer (`/observer`, its event stream, its crash button). The
 * route table is data (routeTable below); WebSocket (RFC 7395) mounts its upgrade route there.
 *
 * Requests are answered in node:http's callbacks, as `route()` runs in its caller; what must be
 * serialised (the event-stream clients, the timeline, the previous message counts) is this
 * process's state, changed only by its messages. Walking the tree, which calls supervisors,
 * happens outside the mailbox: a supervisor stopping this process never waits on it.
 */
import { websocketRoute } from './c2s_websocket.js';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Process } from '../supervision/process.js';
import { noreply, start, stop, type GenServer, type Result } from '../supervision/gen_server.js';
import type { ChildSpec } from '../supervision/child_spec.js';
import { feed, type SupervisorEvent } from '../supervision/events.js';
import { childLog } from '../src/log.js';
import { mayObserve, type ClientFacts } from '../src/http/access.js';
import { RouteTable, sendText, type Access } from '../src/http/routes.js';
import { loadOrCreateToken } from '../src/http/token.js';
import { enableProcessMetrics } from '../src/http/metrics.js';
import { metricsRoute, registerStanzaCounters } from './metrics.js';
import { uploadRoutes } from './http_upload.js';
import {
  closeObserver, handleObserverMsg, isObserverMsg, newObserver, observerRoutes, type ObserverMsg, type ObserverState,
} from './http_observer.js';
import type { Node } from './node.js';

const log = childLog({ actor: 'listener_http' });

interface Args {
  node: Node;
  port: number;
  ip: string;
}

interface State {
  key: string;
  server: http.Server;
  observer: ObserverState;
}

type Msg = ObserverMsg | { type: 'server_error'; error: Error };

/**
 * Clean-ups of this OS process by listen address. A killed listener (kill skips `terminate`)
 * leaves its server listening and its feed subscription; the restarted one undoes both first.
 */
const leftovers = new Map<string, (killed: boolean) => void>();

/** ejabberd_http's `request_handlers`: plain routes (XEP-0363 uploads under /upload/), then upgrade routes (XMPP over WebSocket at /ws). */
function routeTable(node: Node, self: Process): RouteTable {
  return new RouteTable([metricsRoute(node), ...observerRoutes(node, self), ...uploadRoutes(node)], [websocketRoute(node)]);
}

const httpListener: GenServer<State, Args> = {
  async init({ node, port, ip }, self) {
    const key = `[${ip}]:${port}`;
    leftovers.get(key)?.(true);
    const token = await loadOrCreateToken(node.config.data_dir);
    enableProcessMetrics();
    await registerStanzaCounters(node, self);
    const table = routeTable(node, self);
    const server = http.createServer((req, res) => onRequest(table, token, req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => onUpgrade(table, token, req, socket, head));
    server.on('clientError', (_err, socket) => socket.destroy());
    await listen(server, port, ip);
    server.on('error', (error) => self.info({ type: 'server_error', error } satisfies Msg));
    const onEvent = (event: SupervisorEvent): void => self.info({ type: 'sup_event', event } satisfies Msg);
    feed.on('event', onEvent);
    leftovers.set(key, (killed) => {
      feed.off('event', onEvent);
      server.close();
      // After a crash, requests in flight (the POST that crashed us) still get their answer.
      if (killed) server.closeAllConnections();
      else server.closeIdleConnections();
      leftovers.delete(key);
    });
    const shown = ip === '::' || ip === '0.0.0.0' ? 'localhost' : ip.includes(':') ? `[${ip}]` : ip;
    log.info({ port, ip, observer: `http://${shown}:${port}/observer` }, 'listening (http: /metrics, /observer)');
    return { key, server, observer: newObserver(node) };
  },

  handleInfo(msg, state, self): Result<State> {
    const m = msg as Msg;
    if (m?.type === 'server_error') return stop(m.error, state);
    if (isObserverMsg(m)) handleObserverMsg(state.observer, m, self);
    return noreply(state);
  },

  terminate(_reason, state) {
    closeObserver(state.observer);
    leftovers.get(state.key)?.(false);
  },
};

function onRequest(table: RouteTable, token: string, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = table.match(req.method, url.pathname);
  if ('status' in match) {
    if (match.status === 405) return sendText(res, 405, 'method not allowed\n', { Allow: match.allow });
    return sendText(res, 404, 'not found\n');
  }
  if (!allowed(match.route.access, token, req, url)) return forbid(res);
  Promise.resolve(match.route.handle(req, res, url)).catch((error: unknown) => {
    log.error({ err: error, path: url.pathname }, 'http handler failed');
    if (!res.headersSent) sendText(res, 500, 'internal server error\n');
    else res.destroy();
  });
}

function onUpgrade(table: RouteTable, token: string, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', (error) => log.debug({ err: error }, 'upgrade socket error'));
  const url = new URL(req.url ?? '/', 'http://localhost');
  const route = table.matchUpgrade(url.pathname);
  if (!route) return void socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  if (!allowed(route.access, token, req, url)) return void socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  Promise.resolve(route.upgrade(req, socket, head)).catch((error: unknown) => {
    log.error({ err: error, path: url.pathname }, 'upgrade handler failed');
    socket.destroy();
  });
}

function allowed(access: Access, token: string, req: IncomingMessage, url: URL): boolean {
  if (access === 'public') return true;
  const facts: ClientFacts = {
    address: req.socket.remoteAddress, host: req.headers.host, origin: req.headers.origin,
    authorization: req.headers.authorization, queryToken: url.searchParams.get('token'),
  };
  return mayObserve(facts, token);
}

function forbid(res: ServerResponse): void {
  sendText(res, 403, 'forbidden: the observer answers loopback clients, or the token of <data_dir>/observer.token '
    + '(Authorization: Bearer TOKEN, or ?token=TOKEN)\n');
}

function listen(server: http.Server, port: number, ip: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: ip }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The child spec for `listeners_sup`; the process is registered as `listener_http`. */
export function httpListenerSpec(node: Node, port: number, ip: string): ChildSpec {
  return {
    id: 'http',
    start: (parent: Process) => start(httpListener, { node, port, ip }, { name: 'listener_http', link: parent, trapExit: true }),
  };
}
