/**
 * ejabberd_listener: one gen_server per configured port under `listeners_sup`; each accepted
 * connection becomes a c2s process under `c2s_sup`. TCP offers STARTTLS; `c2s_tls` is direct
 * TLS (XEP-0368). TLS 1.2 minimum.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Process } from '../supervision/process.js';
import { start, type GenServer } from '../supervision/gen_server.js';
import { startChild } from '../supervision/supervisor.js';
import type { ChildSpec } from '../supervision/child_spec.js';
import { tlsServerOptions } from '../src/tls/certificate.js';
import { childLog } from '../src/log.js';
import type { Node } from './node.js';
import type { C2sListener } from './c2s.js';
import { httpListenerSpec } from './http.js';
import { admit } from './c2s_admission.js';

interface Args {
  node: Node;
  listener: C2sListener;
  port: number;
  ip: string;
}

interface State {
  server: net.Server;
}

const log = childLog({ actor: 'listener' });

/** Hands the socket to a new c2s (if its address is under its connection limit); if that fails, the client is told nothing and disconnected. */
function accept(node: Node, socket: net.Socket, listener: C2sListener): void {
  socket.setNoDelay(true);
  if (!admit(node, socket, listener)) return;
  startChild('c2s_sup', [socket, listener]).catch((error: unknown) => {
    log.warn({ err: (error as Error).message }, 'could not start c2s');
    socket.destroy();
  });
}

const listenerServer: GenServer<State, Args> = {
  async init({ node, listener, port, ip }) {
    const server =
      listener.kind === 'c2s_tls'
        ? tls.createServer({ ...tlsServerOptions(node.tls), ALPNProtocols: ['xmpp-client'] }, (s) => accept(node, s, listener))
        : net.createServer((s) => accept(node, s, listener));
    server.on('tlsClientError', (err: Error) => log.debug({ err: err.message }, 'TLS handshake failed'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: ip, backlog: 1024 }, () => resolve());
    });
    server.on('error', (err) => log.error({ err }, 'listener error'));
    log.info({ kind: listener.kind, port, ip }, 'listening');
    return { server };
  },
  terminate(_reason, state) {
    // Stop accepting; the connections belong to c2s_sup, which stops them.
    state.server.close();
  },
};

function listenerSpec(node: Node, listener: C2sListener, port: number, ip: string): ChildSpec {
  return {
    id: listener.kind,
    start: (parent: Process) => start(listenerServer, { node, listener, port, ip }, { name: `listener_${listener.kind}`, link: parent, trapExit: true }),
  };
}

export function listenerChildSpecs(node: Node): ChildSpec[] {
  const { c2s, c2s_tls, http } = node.config.listen;
  const specs: ChildSpec[] = [];
  if (c2s) {
    specs.push(listenerSpec(node, { kind: 'c2s', framing: 'tcp', starttls: c2s.starttls, allowPlainWithoutTls: c2s.allow_plain_auth_without_tls }, c2s.port, c2s.ip));
  }
  if (c2s_tls) {
    specs.push(listenerSpec(node, { kind: 'c2s_tls', framing: 'tcp', starttls: 'optional', allowPlainWithoutTls: false }, c2s_tls.port, c2s_tls.ip));
  }
  if (http) specs.push(httpListenerSpec(node, http.port, http.ip));
  return specs;
}
