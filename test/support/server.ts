/**
 * A real Troupe node for end-to-end tests: `node dist/src/main.js` on a temp data dir and free
 * ports, ready once its control socket answers; `troupectl` against it; an orderly or a brutal
 * stop. Logs are silenced (TROUPE_LOGLEVEL=silent) unless `env` says otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode, parseResponse, socketPath, type ControlResponse } from '../../src/control/protocol.js';
import { postgresUrlFor } from './postgres.js';

/** The repository root (this file runs as dist/test/support/server.js). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = path.join(ROOT, 'dist/src/main.js');
const TROUPECTL = path.join(ROOT, 'bin/troupectl.js');

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ServerOverrides {
  /** Start on this existing dir (its data survives) instead of a fresh temp dir. */
  reuseDir?: string;
  /** Extra environment for the server and troupectl. */
  env?: NodeJS.ProcessEnv;
  /** Options for the server's node itself (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
  /** Anything else is troupe.yml, deep-merged over the test defaults (lists and scalars replace). */
  [configKey: string]: unknown;
}

export interface CtlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestServer {
  dir: string;
  configPath: string;
  /** `<dir>/data/troupe.sock` */
  socketPath: string;
  ports: { c2s: number; c2s_tls: number; http: number };
  process: ChildProcess;
  /**
   * Resolves with the exit code once the node exits by itself (e.g. after `troupectl stop`);
   * rejects after `timeoutMs`. A method, not a bare promise: the node's process does not keep
   * the test's event loop alive, the wait's timer does.
   */
  waitForExit(timeoutMs?: number): Promise<number>;
  /** `troupectl --config <configPath> ...args` */
  ctl(args: string[]): Promise<CtlResult>;
  /** SIGTERM (the orderly shutdown); resolves with the exit code. */
  stop(): Promise<number>;
  /** SIGKILL: no clean-up at all, as after a power cut. */
  kill9(): Promise<void>;
  /** What the server wrote on stdout and stderr (the last 64 KiB), for failure messages. */
  output(): string;
}

const running = new Set<ChildProcess>();
const killAll = (): void => {
  for (const child of running) child.kill('SIGKILL');
};
// A test that fails before its `after`, or a run cut short (Ctrl-C, timeout), must not leave a
// node running: kill them, then let the signal do what it would have done.
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

export async function startServer(overrides: ServerOverrides = {}): Promise<TestServer> {
  const { reuseDir, env: extraEnv, nodeArgs = [], ...configOverrides } = overrides;
  const dir = reuseDir ?? (await mkdtemp(path.join(os.tmpdir(), 'troupe-')));
  await mkdir(dir, { recursive: true });
  const [c2s, c2s_tls, http] = await freePorts(3);
  const ports = { c2s: c2s!, c2s_tls: c2s_tls!, http: http! };
  const defaults = {
    hosts: ['localhost'],
    data_dir: 'data',
    listen: { c2s: { port: ports.c2s }, c2s_tls: { port: ports.c2s_tls }, http: { port: ports.http } },
    ...(process.env.TROUPE_TEST_STORAGE === 'postgres' ? { storage: 'postgres', postgres_url: await postgresUrlFor(dir) } : {}),
  };
  const configPath = path.join(dir, 'troupe.yml');
  // JSON is YAML: no serializer needed.
  await writeFile(configPath, JSON.stringify(deepMerge(defaults, configOverrides), null, 2));
  const env = { ...process.env, TROUPE_LOGLEVEL: 'silent', ...extraEnv };

  const child = spawn(process.execPath, [...nodeArgs, MAIN, '--config', configPath], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-64 * 1024);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? 128 + (os.constants.signals[signal as NodeJS.Signals] ?? 0));
    });
  });
  // The node is the test's fixture, not its event loop: a forgotten stop must not hang the run.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as unknown as net.Socket).unref();

  const sock = socketPath(path.join(dir, 'data'));
  await waitUntilReady(sock, exited, () => output);

  const waitForExit = async (timeoutMs = STOP_TIMEOUT_MS): Promise<number> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`server did not exit within ${timeoutMs} ms\n${output}`)), timeoutMs);
    });
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  const stopWith = (signal: NodeJS.Signals): Promise<number> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return waitForExit();
  };

  return {
    dir,
    configPath,
    socketPath: sock,
    ports,
    process: child,
    waitForExit,
    ctl: (args) => runCtl(['--config', configPath, ...args], env),
    stop: () => stopWith('SIGTERM'),
    kill9: async () => void (await stopWith('SIGKILL')),
    output: () => output,
  };
}

/** Runs troupectl (the installed bin) with `args`. */
export function runCtl(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CtlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TROUPECTL, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Ports the kernel just handed out; closed again, so a tiny race with other programs remains. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '::', () => resolve(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Ready = the control actor (last in the tree) answers `status`, so every listener is up. */
async function waitUntilReady(sock: string, exited: Promise<number>, output: () => string): Promise<void> {
  let exitCode: number | null = null;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exitCode !== null) throw new Error(`server exited with code ${exitCode} before it was ready\n${output()}`);
    if (await answers(sock)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server not ready within ${READY_TIMEOUT_MS} ms\n${output()}`);
}

async function answers(sock: string): Promise<boolean> {
  return (await controlRequest(sock, 'status', []).catch(() => null))?.ok ?? false;
}

/**
 * One request on the control socket, as troupectl sends it, without spawning a process: for
 * drivers that ask often (the chaos run reads the tree before every crash).
 */
export function controlRequest(sock: string, cmd: string, args: string[]): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(sock);
    let data = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(encode({ cmd, args })));
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (!data.includes('\n')) return;
      socket.destroy();
      try {
        resolve(parseResponse(data.slice(0, data.indexOf('\n'))));
      } catch (error) {
        reject(error);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`control socket closed before answering ${cmd}`)));
  });
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    const bothObjects = [prev, value].every((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
    out[key] = bothObjects ? deepMerge(prev as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}
