// The servers under test: Troupe (`node dist/src/main.js`) and the ejabberd anchor, started the way
// ../shared/bench/servers/start-servers.sh does. Each runs in its own process group (session), so
// stop() ends it and everything it spawned, and nothing else.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SERVERS, type ServerName } from './options.js';
import { MODULES } from '../actors/modules/index.js';
import { groupAlive, listenerPid, pidAlive, sh, sleep, spawnGroup, stopGroup, waitForPort } from './process.js';

export const DOMAIN = 'bench.local';
export const TROUPE_PORT = 35242;
export const EJABBERD_PORT = 35222; // fixed in the kit's ejabberd.yml
/** ejabberd's HTTP listener, also fixed in the kit's ejabberd.yml. */
const EJABBERD_HTTP_PORT = 35280;
export const PORTS: Record<ServerName, number> = { troupe: TROUPE_PORT, 'troupe-core': 35243, ejabberd: EJABBERD_PORT };

/** The modules of issues #3 and #4 (accounts, roster, presence, offline): what `troupe-core` keeps. */
const CORE_MODULES = new Set(['mod_register', 'mod_roster', 'mod_presence', 'mod_offline']);
/** What `troupe-core` leaves out, for the report. */
export const CORE_NOTE = `${[...CORE_MODULES].join(', ')}; no XEP-0198 and none of the other modules`;
export const EPMD_PORT = 4369;
/** Every port a server listens on. */
const listenPorts = (name: ServerName): number[] => (name === 'ejabberd' ? [EJABBERD_PORT, EJABBERD_HTTP_PORT] : [PORTS[name]]);
const RESERVED_PORTS = '/proc/sys/net/ipv4/ip_local_reserved_ports';

export interface Server {
  name: ServerName;
  port: number;
  /** the process that owns the listening socket: the kit samples its RSS and CPU */
  pid: number;
  /** stdout and stderr of the server */
  logFile: string;
  alive(): boolean;
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves when the group is gone */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The servers of one run, by name: start() (re)starts one, keeping its data (the accounts) in
 * `<dir>/<name>`; stopAll() stops every one still running. One certificate for both.
 */
export class Fleet {
  readonly running = new Map<ServerName, Server>();
  private readonly cert: { cert: string; key: string };

  /** The kernel's reserved ports before this run, put back by stopAll(). */
  private readonly reservedBefore: string | undefined;

  constructor(private readonly root: string, private readonly kit: string, private readonly dir: string, private readonly ejabberdMam = false) {
    this.cert = makeCertificate(dir);
    this.reservedBefore = reservePorts(SERVERS.flatMap(listenPorts));
    for (const name of ['troupe', 'troupe-core'] as const) {
      mkdirSync(path.join(dir, name), { recursive: true });
      writeFileSync(this.troupeYml(name), troupeConfig(path.join(dir, name), this.cert, name));
    }
  }

  /** The troupe.yml of a Troupe variant. */
  troupeYml(name: Exclude<ServerName, 'ejabberd'>): string {
    return path.join(this.dir, `${name}.yml`);
  }

  async start(name: ServerName): Promise<Server> {
    await this.running.get(name)?.stop();
    this.running.delete(name);
    for (const port of listenPorts(name)) await portFreed(port);
    const server = name === 'ejabberd'
      ? await startEjabberd(this.kit, path.join(this.dir, 'ejabberd'), this.cert, this.ejabberdMam)
      : await startTroupe(this.root, path.join(this.dir, name), this.troupeYml(name), name);
    this.running.set(name, server);
    console.log(`${name}: PID ${server.pid} on 127.0.0.1:${server.port}, log ${server.logFile}`);
    return server;
  }

  async stopAll(): Promise<void> {
    for (const s of this.running.values()) {
      try {
        await s.stop();
        console.log(`${s.name} stopped`);
      } catch (err) {
        console.error(`${s.name}: ${(err as Error).message}`);
      }
    }
    this.running.clear();
    if (this.reservedBefore !== undefined) writeFileSync(RESERVED_PORTS, this.reservedBefore);
  }
}

/**
 * Takes the servers' ports out of the ephemeral range, so that no client socket of a load
 * (Tsung opens thousands) is given one and keeps it in TIME_WAIT when the next server starts.
 * Returns the setting it replaced, or undefined where it cannot be changed (not root).
 */
function reservePorts(ports: number[]): string | undefined {
  try {
    const before = readFileSync(RESERVED_PORTS, 'utf8').trim();
    writeFileSync(RESERVED_PORTS, [before, ...ports].filter((p) => p !== '').join(','));
    return before;
  } catch {
    return undefined;
  }
}

/**
 * Waits until `port` is free to listen on: nothing listens (a stopped ejabberd's VM can outlive
 * its process group for a while; killed after 10 s) and no socket is left on it. ejabberd
 * listens without SO_REUSEADDR, so even a TIME_WAIT socket on that port, a client's too (the
 * ports are in the ephemeral range), makes its start fail with eaddrinuse.
 */
async function portFreed(port: number): Promise<void> {
  for (let i = 0; i < 100 && listenerPid(port) !== undefined; i++) await sleep(100);
  const pid = listenerPid(port);
  if (pid !== undefined) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 700 && sh('ss', ['-Htan', `sport = :${port}`]) !== ''; i++) await sleep(100);
}

/** A self-signed RSA-2048 certificate, as the kit used for ejabberd; both servers get the same one. */
export function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '30', '-subj', `/CN=${DOMAIN}`, '-addext', `subjectAltName=DNS:${DOMAIN}`], { stdio: 'ignore' });
  return { cert, key };
}

/** The benchmark troupe.yml (keys: src/config/schema.ts) of a Troupe variant. */
export function troupeConfig(dir: string, tls: { cert: string; key: string }, name: Exclude<ServerName, 'ejabberd'> = 'troupe'): string {
  const q = JSON.stringify;
  const modules = name === 'troupe'
    ? '  mod_muc: { max_users: 1000 }   # the MUC scenario\'s room holds 200 users and the holder'
    : MODULES.map((m) => m.name).filter((m) => !CORE_MODULES.has(m)).map((m) => `  ${m}: false`).join('\n');
  return `\
# Written by bench/run.ts for one benchmark run.
hosts: [${DOMAIN}]
data_dir: ${q(path.join(dir, 'data'))}
loglevel: warn
listen:
  c2s: { port: ${PORTS[name]}, ip: 127.0.0.1, starttls: optional, allow_plain_auth_without_tls: true }
  c2s_tls: false
  http: false
tls: { cert: ${q(tls.cert)}, key: ${q(tls.key)} }
auth: { password_format: plain }   # Tsung has no SCRAM: PLAIN against plain storage, as on ejabberd
registration: open
limits: { c2s_shaper: none, max_connections_per_ip: 0 }   # as the ejabberd run: no shaper, Tsung's users share one address
${name === 'troupe-core' ? 'c2s: { stream_management: { enabled: false } }\n' : ''}modules:
${modules}
`;
}

/** Starts Troupe from `root` (the built repo) with `configFile`; resolves once the port accepts. */
export async function startTroupe(root: string, dir: string, configFile: string, name: Exclude<ServerName, 'ejabberd'> = 'troupe'): Promise<Server> {
  const main = path.join(root, 'dist/src/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` (or the server is not written yet)`);
  const logFile = path.join(dir, 'troupe.log');
  // `exec` keeps the node process as the group leader, so child.pid is the server's PID
  const child = spawnGroup('sh', ['-c', 'ulimit -n "$(ulimit -Hn)"; exec node "$0" --config "$1"', main, configFile],
    { cwd: root, env: { ...process.env, TROUPE_LOGLEVEL: 'warn' } }, logFile);
  await waitForPort(PORTS[name], child, 30_000, logFile);
  return handle(name, PORTS[name], child, child.pid!, logFile);
}

export function ejabberdInstalled(): boolean {
  return existsSync('/usr/sbin/ejabberdctl');
}

/**
 * Starts ejabberd with the kit's ejabberd.yml/ejabberdctl.cfg (c2s 127.0.0.1:35222, plain password
 * storage, open registration, backlog 1024), its data in `dir`, as user ejabberd with the fd limit
 * raised (runuser alone would leave 1024 and ejabberd dies under the storm). Needs root.
 */
export async function startEjabberd(kitDir: string, dir: string, tls: { cert: string; key: string }, mam = false): Promise<Server> {
  if (process.getuid?.() !== 0) throw new Error('starting ejabberd needs root (runuser -u ejabberd)');
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  mkdirSync(path.join(dir, 'spool'), { recursive: true });
  const pem = path.join(dir, 'server.pem');
  writeFileSync(pem, readFileSync(tls.cert, 'utf8') + readFileSync(tls.key, 'utf8'));
  const yml = readFileSync(path.join(kitDir, 'servers/ejabberd.yml'), 'utf8');
  if (!yml.includes(`port: ${EJABBERD_PORT}`)) throw new Error(`the kit's ejabberd.yml no longer listens on ${EJABBERD_PORT}`);
  const config = withMuc(yml.replace(/^([ \t]*-[ \t]*)"[^"\n]*\.pem"/m, `$1${JSON.stringify(pem)}`));
  writeFileSync(path.join(dir, 'ejabberd.yml'), mam ? withModule(config, 'mod_mam:\n    default: always') : config);
  copyFileSync(path.join(kitDir, 'servers/ejabberdctl.cfg'), path.join(dir, 'ejabberdctl.cfg'));
  execFileSync('chown', ['-R', 'ejabberd:', dir]);
  chmodSync(path.dirname(dir), 0o755); // our mkdtemp dir is 0700: let user ejabberd through
  const logFile = path.join(dir, 'logs/fg.out');
  const cmd = `ulimit -n "$(ulimit -Hn)"; export HOME="$0"; ` +
    'exec /usr/sbin/ejabberdctl --config-dir "$0" --logs "$0/logs" --spool "$0/spool" foreground';
  const child = spawnGroup('runuser', ['-u', 'ejabberd', '--', 'sh', '-c', cmd, dir], { cwd: dir }, logFile);
  await waitForPort(EJABBERD_PORT, child, 90_000, logFile);
  const pid = listenerPid(EJABBERD_PORT);
  if (pid === undefined) throw new Error(`ejabberd: no PID owns port ${EJABBERD_PORT}`);
  return handle('ejabberd', EJABBERD_PORT, child, pid, logFile);
}

/** The kit's ejabberd.yml has no MUC: the MUC scenario's service, rooms of up to 1000 occupants, as Troupe's. */
const withMuc = (yml: string): string =>
  withModule(yml, `mod_muc:
    hosts: ["conference.${DOMAIN}"]
    max_users: 1000
    default_room_options:
      max_users: 1000`);

/** `module` (its YAML, indented for the modules section) added to the config's modules. */
function withModule(yml: string, module: string): string {
  if (!/^modules:$/m.test(yml)) throw new Error("the kit's ejabberd.yml has no modules: section");
  return yml.replace(/^modules:$/m, `modules:\n  ${module}`);
}

function handle(name: ServerName, port: number, child: ChildProcess, pid: number, logFile: string): Server {
  return {
    name, port, pid, logFile,
    alive: () => groupAlive(child.pid!) && pidAlive(pid),
    stop: (graceMs = 10_000) => stopGroup(child.pid!, graceMs),
  };
}

/** Stops every server of the fleet, and epmd if this run started it; `removeDir`: drop the servers' data, logs and certificates there. */
export async function stopFleet(fleet: Fleet, epmdWasRunning: boolean, removeDir: string | undefined): Promise<void> {
  await fleet.stopAll();
  // Tsung and ejabberd start epmd (Erlang's port mapper) as a daemon: end it if we caused it
  const epmd = listenerPid(EPMD_PORT);
  const nodesLeft = () => /name \S+ at port/.test(sh('epmd', ['-names']));
  for (let i = 0; i < 30 && epmd !== undefined && nodesLeft(); i++) await sleep(100); // a killed Tsung VM unregisters late
  if (!epmdWasRunning && epmd !== undefined && !nodesLeft()) {
    try {
      process.kill(epmd, 'SIGTERM');
    } catch {
      // gone already
    }
  }
  if (removeDir) {
    // keep Tsung's raw output, drop server data, logs and certificates
    for (const d of SERVERS) rmSync(path.join(removeDir, d), { recursive: true, force: true });
  }
}
