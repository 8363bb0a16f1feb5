/**
 * One user's read-modify-write on PostgreSQL, serialised across every node sharing the
 * database: first this node's KeyedLock (so at most one connection per user waits), then a
 * PostgreSQL advisory lock on (table, user), which another node's store takes as well.
 */
import type { PgHandle, PoolClient } from '../../src/storage/pg/pool.js';
import { inTransaction, withClient } from '../../src/storage/pg/pool.js';
import { userKey } from '../../src/storage/db.js';
import { lockFor } from './keyed_lock.js';

/**
 * The first key of the two-int advisory lock, one per table (the second: a hash of the user).
 * 4 was the archive's before `mam_seq`; not reused while nodes of the older code may still take it.
 */
const LOCK_CLASS = { roster: 1, offline: 2, private: 3, pep: 5 } as const;
export type LockedTable = keyof typeof LOCK_CLASS;

const lockArgs = (table: LockedTable, user: string, host: string) => [LOCK_CLASS[table], `${host}/${user}`];

/** `fn` inside one SQL transaction that holds the user's lock until its commit. */
export function userTransaction<R>(
  holder: { readonly pg: PgHandle }, table: LockedTable, user: string, host: string,
  fn: (client: PoolClient) => Promise<R>, opts: { sync: boolean } = { sync: true },
): Promise<R> {
  return lockFor(holder, table).run(userKey(user, host), () =>
    withClient(holder.pg.pool, (client) =>
      inTransaction(client, async () => {
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', lockArgs(table, user, host));
        return fn(client);
      }, opts)));
}

/**
 * `fn` with the user's lock held on a connection of `txPool` for its whole run, across several
 * SQL transactions of its own (each committed when `fn` asks): the roster's transaction, whose
 * every write must be durable before its push leaves. A connection lost mid-way takes the lock
 * with it (PostgreSQL releases a session's advisory locks when the session ends).
 */
export function userSession<R>(
  holder: { readonly pg: PgHandle }, table: LockedTable, user: string, host: string,
  fn: (client: PoolClient) => Promise<R>,
): Promise<R> {
  return lockFor(holder, table).run(userKey(user, host), () =>
    withClient(holder.pg.txPool, async (client) => {
      await client.query('SELECT pg_advisory_lock($1, hashtext($2))', lockArgs(table, user, host));
      try {
        return await fn(client);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', lockArgs(table, user, host));
      }
    }));
}
