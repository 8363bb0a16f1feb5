/**
 * A throwaway PostgreSQL cluster for tests: `initdb` into a temp dir, the server started by
 * `pg_ctl` with its unix socket in that dir and no TCP listener, stopped and removed after. The
 * server refuses to run as root, so under root (CI) the binaries run as the `postgres` user
 * (Debian's package creates it) and the dir is theirs. Tests skip, saying why, only when the
 * binaries are absent.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** The newest Debian PostgreSQL install (`/usr/lib/postgresql/<version>/bin`), if any. */
function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

const BIN = findBinDir();

/** Why PostgreSQL tests cannot run here, or false when they can. */
export const postgresSkip: string | false = BIN ? false : 'PostgreSQL binaries not found (apt-get install postgresql)';

const asRoot = userInfo().uid === 0;

/** The command line for a server binary: as the `postgres` user when we are root. */
const command = (bin: string, args: string[]): [string, string[]] =>
  asRoot ? ['runuser', ['-u', 'postgres', '--', join(BIN as string, bin), ...args]] : [join(BIN as string, bin), args];

export interface TestPostgres {
  /** A connection URL for `database` (default `postgres`) over the unix socket. */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** The clusters this process started and has not stopped: temp dir → postmaster pid. */
const running = new Map<string, number>();
// A run cut short, or the shared cluster below, must not outlive the tests (pg_ctl detaches the
// server from this process). Only synchronous work happens at exit, and it must be quick (the
// test runner may end this process soon after): SIGQUIT is PostgreSQL's immediate shutdown.
process.on('exit', () => {
  for (const [dir, pid] of running) {
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
});

export async function startPostgres(): Promise<TestPostgres> {
  if (!BIN) throw new Error(postgresSkip as string);
  const dir = await mkdtemp(join(tmpdir(), 'troupe-pg-'));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout), Number(gid));
  }
  const data = join(dir, 'data');
  await run(...command('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync']));
  // Test data only: no fsync; the unix socket in our dir, no TCP port to collide on.
  const options = `-c listen_addresses='' -k ${dir} -c fsync=off -c full_page_writes=off`;
  await run(...command('pg_ctl', ['-D', data, '-w', '-l', join(dir, 'log'), '-o', options, 'start']));
  running.set(dir, Number((await readFile(join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]));
  const url = (database = 'postgres') => `postgresql://postgres@/${database}?host=${encodeURIComponent(dir)}`;
  return {
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async stop() {
      await run(...command('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']));
      running.delete(dir);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let shared: Promise<TestPostgres> | undefined;

/**
 * `TROUPE_TEST_STORAGE=postgres` runs the end-to-end tests on PostgreSQL: each test node's data
 * dir gets its own database (the same one again when a node restarts on that dir), on one
 * cluster per test process, stopped when the process exits.
 */
export async function postgresUrlFor(dataDir: string): Promise<string> {
  shared ??= startPostgres();
  const server = await shared;
  const name = `t_${basename(dataDir).replace(/[^A-Za-z0-9]/g, '_').toLowerCase()}`;
  try {
    return await server.createDatabase(name);
  } catch (err) {
    if ((err as { code?: string }).code === '42P04') return server.url(name); // duplicate_database: a restart
    throw err;
  }
}
