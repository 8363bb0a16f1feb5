// Runs the shared Tsung kit (<repo>/../shared/bench/run.sh, see its README) against one server and
// returns the rows of its summary.json: one object per scenario, e.g. {scenario: 'login', ...}.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Options, ServerName } from './options.js';
import { DOMAIN, type Server } from './servers.js';

/** Tsung's short tag of each server in its output. */
const TAGS: Record<ServerName, string> = { troupe: 'tr', 'troupe-core': 'tc', ejabberd: 'ej' };

export type Summary = { scenario: string } & Record<string, unknown>;

/** The kit: `BENCH_KIT`, else `../shared/bench` beside the repository (a git worktree elsewhere sets BENCH_KIT). */
export function kitDir(root: string): string {
  return process.env.BENCH_KIT ?? path.resolve(root, '../shared/bench');
}

/** The load sizes, identical for every server. */
export function loadArgs(o: Options): string[] {
  return [
    '--domain', DOMAIN, '--users', String(o.users), '--acks', 'strict',
    '--login-rate', String(o.loginRate), '--register-rate', String(o.registerRate),
    '--idle-s', String(o.idleS), '--hold-slack', String(o.holdSlack),
    '--chat-users', String(o.chatUsers), '--chat-rates', o.chatRates.join(','), '--chat-s', String(o.chatS),
    '--roster-users', String(o.rosterUsers), '--roster-s', String(o.rosterS),
  ];
}

/**
 * One kit invocation: `scenarios` (comma list of the kit's names) against `server`, output under
 * `outDir`. `accounts` is the kit's --accounts value ('none' once accounts exist). Progress lines
 * are echoed with the server's name in front.
 */
export function runKit(kit: string, server: Server, scenarios: string, accounts: string, o: Options,
  outDir: string, abort: AbortSignal): Promise<Summary[]> {
  const args = ['--port', String(server.port), '--pid', String(server.pid), '--label', server.name,
    '--out', outDir, '--tag', TAGS[server.name], '--scenarios', scenarios, '--accounts', accounts, ...loadArgs(o)];
  return runDriver(path.join(kit, 'run.sh'), args, server, scenarios, abort);
}

/**
 * The MUC fan-out scenario (bench/muc.py, built on the kit as a library): one room of
 * `o.mucUsers` occupants on `conference.<domain>`, `o.mucRate` groupchat msgs/s for `o.mucS` s.
 */
export function runMuc(kit: string, root: string, server: Server, o: Options, outDir: string, abort: AbortSignal): Promise<Summary[]> {
  const args = [path.join(root, 'bench/muc.py'), '--kit', kit, '--port', String(server.port), '--pid', String(server.pid),
    '--domain', DOMAIN, '--muc-service', `conference.${DOMAIN}`, '--users', String(o.mucUsers), '--rate', String(o.mucRate),
    '--seconds', String(o.mucS), '--label', server.name, '--out', outDir, '--tag', `m${TAGS[server.name]}`];
  // ejabberd's rooms never archive here (the kit loads no mod_mam) and its form has no such field
  if (!o.mucArchive && server.name === 'troupe') args.push('--no-archive');
  return runDriver('python3', args, server, 'muc', abort);
}

/** Runs a driver that prints JSON rows and `results in DIR` (its summary.json); each row gets `users_launched`. */
async function runDriver(cmd: string, args: string[], server: Server, what: string, abort: AbortSignal): Promise<Summary[]> {
  // its own process group, so that an abort can end Tsung's Erlang VM too, not only the Python driver
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const kill = () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  abort.addEventListener('abort', kill, { once: true });
  let resultsDir: string | undefined;
  const echoed: Summary[] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    const m = /^results in (.+)$/.exec(line);
    if (m) resultsDir = m[1]!;
    else if (line.startsWith('{')) {
      const row = JSON.parse(line) as Summary;
      echoed.push(row);
      console.log(`  [${server.name}] ${brief(row)}`);
    } else if (line.trim()) console.log(`  [${server.name}] ${line}`);
  }
  const code = await new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (c) => resolve(c));
  });
  abort.removeEventListener('abort', kill);
  if (code !== 0) throw new Error(`${path.basename(cmd === 'python3' ? args[0]! : cmd)} exited with ${code} (${server.name}: ${what})`);
  const file = resultsDir && path.join(resultsDir, 'summary.json');
  if (!resultsDir || !file || !existsSync(file)) return echoed;
  const rows = JSON.parse(readFileSync(file, 'utf8')) as Summary[];
  for (const r of rows) {
    const launched = usersLaunched(path.join(resultsDir, r.scenario.startsWith('accounts') ? 'register' : r.scenario));
    if (launched !== undefined) r.users_launched = launched;
  }
  return rows;
}

/**
 * How many users Tsung actually started (last `users_count` in tsung.log). On a busy machine its
 * launcher falls behind the arrival phase and starts fewer than asked: the summary does not say so.
 */
function usersLaunched(scenarioDir: string): number | undefined {
  if (!existsSync(scenarioDir)) return undefined;
  const run = readdirSync(scenarioDir).filter((d) => d.startsWith('2')).sort().at(-1);
  if (!run) return undefined;
  let log: string;
  try {
    log = readFileSync(path.join(scenarioDir, run, 'tsung.log'), 'utf8');
  } catch {
    return undefined;
  }
  const counts = [...log.matchAll(/^stats: users_count \S+ (\d+)/gm)];
  return counts.length ? Number(counts.at(-1)![1]) : undefined;
}

/** A one-line digest of a kit row for the progress output. */
function brief(r: Summary): string {
  const errors = errorCount(r);
  const parts = Object.entries(r)
    .filter(([k, v]) => k !== 'scenario' && k !== 'errors' && typeof v === 'number')
    .filter(([k]) => /ok|per_s|p50|p99|registered|delivered$|kb_per_session|idle_cpu|secs|joined|fanout/.test(k))
    .map(([k, v]) => `${k}=${v}`);
  return `${r.scenario}: ${parts.join(' ')}${errors ? ` errors=${JSON.stringify(r.errors)}` : ''}`;
}

export function errorCount(r: Summary): number {
  const e = r.errors;
  return e && typeof e === 'object' ? Object.values(e as Record<string, number>).reduce((a, b) => a + b, 0) : 0;
}

/** The repository (the nearest directory above this file with a package.json). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    if (dir === path.dirname(dir)) throw new Error('cannot find the repository root (package.json)');
    dir = path.dirname(dir);
  }
  return dir;
}
