/**
 * The PostgreSQL schema, as numbered migrations applied in order at boot. Each runs once, in
 * the same transaction as its row in `schema_migrations`; the whole boot holds an advisory lock,
 * so two nodes starting at once on an empty database do not race (the second waits, then finds
 * everything applied). Append new migrations; never edit one that has shipped.
 *
 * Key columns are `COLLATE "C"` (byte order), so ranges and ORDER BY sort like LevelDB keys:
 * archive ids, offline sequence and roster contacts come back in the order the stores promise.
 */
import type { Pool } from 'pg';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const user = `host text COLLATE "C" NOT NULL, username text COLLATE "C" NOT NULL`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'module storage and accounts',
    sql: `
      CREATE TABLE passwd (${user}, account jsonb NOT NULL, PRIMARY KEY (host, username));
      CREATE TABLE roster (${user}, contact text COLLATE "C" NOT NULL, item jsonb NOT NULL, PRIMARY KEY (host, username, contact));
      CREATE TABLE roster_version (${user}, version bigint NOT NULL, PRIMARY KEY (host, username));
      CREATE TABLE offline (seq bigserial PRIMARY KEY, ${user}, from_jid text NOT NULL, xml text NOT NULL);
      CREATE INDEX offline_user ON offline (host, username, seq);
      CREATE TABLE vcard (${user}, xml text NOT NULL, photo text NOT NULL, PRIMARY KEY (host, username));
      CREATE TABLE private (${user}, ns text COLLATE "C" NOT NULL, name text COLLATE "C" NOT NULL, xml text NOT NULL, PRIMARY KEY (host, username, ns, name));
      CREATE TABLE privacy (${user}, jids text[] NOT NULL, PRIMARY KEY (host, username));
      CREATE TABLE mam (${user}, id text COLLATE "C" NOT NULL, peer text COLLATE "C" NOT NULL, out boolean NOT NULL, xml text NOT NULL, PRIMARY KEY (host, username, id));
      CREATE INDEX mam_host_id ON mam (host, id);
      CREATE TABLE mam_prefs (${user}, prefs jsonb NOT NULL, PRIMARY KEY (host, username));
      CREATE TABLE last_activity (${user}, at bigint NOT NULL, status text NOT NULL, PRIMARY KEY (host, username));
    `,
  },
  {
    version: 2,
    name: 'mod_muc persistent rooms',
    sql: 'CREATE TABLE muc_room (service text COLLATE "C" NOT NULL, name text COLLATE "C" NOT NULL, room jsonb NOT NULL, PRIMARY KEY (service, name))',
  },
  {
    version: 3,
    name: 'archive id counters',
    // The time part (µs) of each archive's newest id, the row `mod_mam.pg.ts` appends under;
    // started from the archives already there.
    sql: `
      CREATE TABLE mam_seq (${user}, last bigint NOT NULL, PRIMARY KEY (host, username));
      INSERT INTO mam_seq (host, username, last) SELECT host, username, max(left(id, 16)::bigint) FROM mam GROUP BY host, username;
    `,
  },
  {
    version: 4,
    name: 'mod_pep nodes',
    sql: `CREATE TABLE pep (${user}, node text COLLATE "C" NOT NULL, data jsonb NOT NULL, PRIMARY KEY (host, username, node))`,
  },
];

/** The advisory lock key of schema migrations (one bigint, apart from the stores' two-int keys). */
const MIGRATION_LOCK = 7_450_230_901;

/** Applies the migrations not yet applied; returns the versions applied now. */
export async function migrate(pool: Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((r) => r.version));
      const now: number[] = [];
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw new Error(`schema migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
        }
        now.push(m.version);
      }
      return now;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    // A connection that failed mid-way is dropped, not returned to the pool (its lock goes with it).
    client.release(broken);
  }
}
