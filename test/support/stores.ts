/**
 * The store tests run once per backend: `forEachBackend(body)` declares `body`'s tests in a
 * suite per backend (LevelDB on a temp dir; PostgreSQL on a throwaway cluster, skipped with the
 * reason when PostgreSQL is not installed), each with the backend's `Stores` as the node builds
 * them.
 */
import { after, before, describe } from 'node:test';
import { table, type Db } from '../../src/storage/db.js';
import { closePg, openPg, type PgHandle } from '../../src/storage/pg/pool.js';
import { levelStores, pgStores, type Stores } from '../../actors/stores.js';
import type { Appended, ArchiveEntry } from '../../actors/modules/mod_mam.store.js';
import { idTime } from '../../src/mam/id.js';
import { UserRemoval } from '../../src/storage/user_removal.js';
import { useTempDb } from './db.js';
import { postgresSkip, startPostgres, type TestPostgres } from './postgres.js';

/** The id of an append, once it is written. */
export async function appendWritten(appending: Promise<Appended>): Promise<string> {
  const { id, written } = await appending;
  await written;
  return id;
}

export interface StoreBackend {
  name: 'leveldb' | 'postgres';
  stores: Stores;
  /** The stores a restarted node builds over the same database. */
  restart(): Stores;
  /** Writes an archive row under an id of the test's choosing (ids from the past or the future). */
  putArchived(user: string, host: string, id: string, entry: ArchiveEntry): Promise<void>;
}

/** A migrated PostgreSQL on a throwaway cluster for the file's tests: `holder.pg` once `before` has run. */
export function useTempPg(): { pg: PgHandle } {
  const nodes = usePgNodes();
  const holder = {} as { pg: PgHandle };
  before(async () => {
    holder.pg = (await nodes.node(nodes.url())).pg;
  });
  return holder;
}

/**
 * Several nodes' pools on a throwaway PostgreSQL cluster, for the file's tests: `url()` is its
 * default database, `database(name)` creates an empty one and returns its URL, `node(url)`
 * opens (and migrates) a node's own pools on it, as each node has; all closed, and the
 * cluster stopped, after.
 */
export function usePgNodes(): { url(): string; database(name: string): Promise<string>; node(url: string): Promise<{ pg: PgHandle }> } {
  let server: TestPostgres | undefined;
  const handles: PgHandle[] = [];
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    for (const h of handles) await closePg(h);
    await server?.stop();
  });
  return {
    url: () => (server as TestPostgres).url(),
    database: (name) => (server as TestPostgres).createDatabase(name),
    async node(url) {
      const handle = await openPg(url);
      handles.push(handle);
      return { pg: handle };
    },
  };
}

function leveldb(holder: { db: Db }): StoreBackend {
  return {
    name: 'leveldb',
    stores: levelStores(holder),
    restart: () => levelStores(holder),
    putArchived: (user, host, id, entry) => table<ArchiveEntry>(holder.db, 'mam').put(`${host}\0${user}\0${id}`, entry),
  };
}

function postgres(holder: { pg: PgHandle }): StoreBackend {
  return {
    name: 'postgres',
    stores: pgStores(holder),
    restart: () => pgStores(holder),
    // With the archive's id counter raised to it, as an append (or migration 3, for rows from before it) leaves it.
    async putArchived(user, host, id, entry) {
      await holder.pg.pool.query(
        `WITH row AS (INSERT INTO mam (host, username, id, peer, out, xml) VALUES ($1, $2, $3, $4, $5, $6))
         INSERT INTO mam_seq AS s (host, username, last) VALUES ($1, $2, $7) ON CONFLICT (host, username) DO UPDATE SET last = GREATEST(s.last, EXCLUDED.last)`,
        [host, user, id, entry.peer, entry.out, entry.xml, idTime(id)],
      );
    },
  };
}

/** Removes `user`'s rows from one store as a node does: the store adds its part to a removal, then the one commit. */
export async function removeWith(stores: Stores, user: string, host: string, part: (removal: UserRemoval) => Promise<void>): Promise<void> {
  const removal = new UserRemoval(user, host);
  await part(removal);
  await stores.commitRemoval(removal);
}

export function forEachBackend(body: (backend: StoreBackend) => void): void {
  describe('leveldb', () => body(leveldb(useTempDb())));
  describe('postgres', { skip: postgresSkip }, () => body(postgres(useTempPg())));
}
