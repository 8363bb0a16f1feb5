/**
 * The `control` actor: the node's end of troupectl (ejabberd_ctl). It listens on the Unix socket
 * `<data_dir>/troupe.sock` (mode 0600: whoever can connect is root of this node) and handles
 * each request line as a message in its own mailbox, so a slow command delays only other
 * troupectl requests, never the node; a misbehaving client gets `{ok:false}` and nothing else.
 */
import net from 'node:net';
import { chmod, unlink } from 'node:fs/promises';
import type { Node } from './node.js';
import type { Process } from '../supervision/process.js';
import { noreply, start, stop, type GenServer, type Result } from '../supervision/gen_server.js';
import { childLog } from '../src/log.js';
import {
  LineSplitter, MAX_LINE, encode, parseRequest, socketPath, type ControlResponse,
} from '../src/control/protocol.js';
import { runCommand } from './control_commands.js';

const log = childLog({ actor: 'control' });

/** Linux caps sun_path at 108 bytes (with the NUL); a longer data_dir cannot hold the socket. */
const MAX_SOCKET_PATH = 107;

interface State {
  node: Node;
  path: string;
  server: net.Server;
  clients: Set<net.Socket>;
}

type Msg =
  | { type: 'request'; socket: net.Socket; line: string }
  | { type: 'server_error'; error: Error };

/**
 * Listeners of this OS process by path. A killed control actor (kill skips `terminate`) leaves
 * its server listening; the restarted one closes it rather than mistaking it for another node.
 */
const listening = new Map<string, net.Server>();

const control: GenServer<State, Node> = {
  async init(node, self) {
    const path = socketPath(node.config.data_dir);
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) throw new Error(`control socket path too long for a Unix socket: ${path}`);
    closeServer(listening.get(path), path);
    await removeStaleSocket(path);
    const clients = new Set<net.Socket>();
    const server = net.createServer((socket) => accept(socket, clients, self));
    await listen(server, path);
    listening.set(path, server);
    server.on('error', (error) => self.info({ type: 'server_error', error } satisfies Msg));
    try {
      await chmod(path, 0o600);
    } catch (error) {
      closeServer(server, path);
      throw error;
    }
    log.debug({ path }, 'control socket listening');
    return { node, path, server, clients };
  },

  async handleInfo(msg, state): Promise<Result<State>> {
    const m = msg as Msg;
    if (m?.type === 'server_error') return stop(m.error, state);
    if (m?.type !== 'request') return noreply(state);
    const req = parseRequest(m.line);
    const response: ControlResponse = typeof req === 'string' ? { ok: false, error: req } : await runCommand(state.node, req.cmd, req.args);
    if (typeof req !== 'string') log.info({ cmd: req.cmd, ok: response.ok }, 'troupectl');
    if (m.socket.writable) m.socket.write(encode(response));
    return noreply(state);
  },

  terminate(_reason, state) {
    // end(), not destroy(): an answer already written (e.g. to `crash control`) still arrives.
    for (const socket of state.clients) socket.end();
    closeServer(state.server, state.path);
  },
};

function accept(socket: net.Socket, clients: Set<net.Socket>, self: Process): void {
  clients.add(socket);
  socket.setEncoding('utf8');
  const lines = new LineSplitter(MAX_LINE);
  const onData = (chunk: string): void => {
    try {
      for (const line of lines.push(chunk)) self.info({ type: 'request', socket, line } satisfies Msg);
    } catch (error) {
      socket.off('data', onData);
      socket.write(encode({ ok: false, error: `bad request: ${(error as Error).message}` }), () => socket.destroy());
    }
  };
  socket.on('data', onData);
  // A client that vanishes mid-answer is its own problem, never the actor's.
  socket.on('error', (error) => log.debug({ err: error }, 'control client error'));
  socket.on('close', () => clients.delete(socket));
}

function listen(server: net.Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Closing the listening handle unlinks the socket file at once; not waiting for the clients
 * to hang up means a stuck troupectl cannot hold up the node's shutdown.
 */
function closeServer(server: net.Server | undefined, path: string): void {
  if (!server) return;
  if (listening.get(path) === server) listening.delete(path);
  server.close();
}

/**
 * A socket file left by a node that died without cleaning up is removed; if something answers
 * on it, another node owns this data_dir and this one must not start.
 */
async function removeStaleSocket(path: string): Promise<void> {
  const answer = await new Promise<'live' | 'stale' | 'absent'>((resolve) => {
    const probe = net.connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve('live');
    });
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ENOENT' ? 'absent' : 'stale'));
  });
  if (answer === 'live') throw new Error(`another Troupe is running on this data_dir (its control socket ${path} answers)`);
  if (answer === 'stale') await unlink(path);
}

/** Starts the control actor linked to `parent`; it traps exits so `terminate` closes the socket. */
export function startControl(node: Node, parent: Process): Promise<Process> {
  return start(control, node, { name: 'control', link: parent, trapExit: true });
}
