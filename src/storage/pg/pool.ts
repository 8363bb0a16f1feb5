/**
 * PostgreSQL (issue #9): the connection pools of one node and the transaction helper every
 * PostgreSQL store uses. Two pools: `pool` for statements and short transactions, `txPool` for
 * the connections that hold a user's roster lock while the module works (a roster transaction
 * runs hooks that read through `pool`; sharing one pool could leave every connection waiting
 * for a lock whose holder waits for a connection).
 */
import pg from 'pg';
import { childLog } from '../../log.js';
import { migrate } from './migrations.js';

export type { PoolClient } from 'pg';

export interface PgHandle {
  readonly pool: pg.Pool;
  readonly txPool: pg.Pool;
}

const log = childLog({ actor: 'storage', backend: 'postgres' });

function newPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle connection that breaks (server restart, network) is dropped and replaced by the
  // pool; without a listener the 'error' event would end the whole node.
  pool.on('error', (err) => log.warn({ err }, 'idle PostgreSQL connection lost'));
  return pool;
}

/** Connects, applies the schema migrations, and returns the pools. */
export async function openPg(url: string): Promise<PgHandle> {
  const handle = { pool: newPool(url, 10), txPool: newPool(url, 5) };
  try {
    const applied = await migrate(handle.pool);
    if (applied.length) log.info({ applied }, 'schema migrations applied');
    return handle;
  } catch (err) {
    await closePg(handle);
    throw err;
  }
}

export async function closePg(handle: PgHandle): Promise<void> {
  await Promise.all([handle.pool.end(), handle.txPool.end()]);
}

/**
 * Runs `fn` on a connection of `pool`; a connection that failed is closed, not reused. While
 * it is checked out, the pool no longer listens for its errors: a connection lost between two
 * queries (a roster lock held while hooks run) would emit an unhandled 'error' and end the
 * node, so it is logged here and the next query on it fails instead.
 */
export async function withClient<R>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<R>): Promise<R> {
  const client = await pool.connect();
  const onError = (err: Error) => log.warn({ err }, 'PostgreSQL connection lost while in use');
  client.on('error', onError);
  try {
    const result = await fn(client);
    client.off('error', onError);
    client.release();
    return result;
  } catch (err) {
    client.off('error', onError);
    client.release(err as Error);
    throw err;
  }
}

/**
 * BEGIN … COMMIT around `fn` on `client`; ROLLBACK if it throws. The promise resolves after the
 * commit. `sync: false` commits without waiting for the WAL flush (as LevelDB's `sync: false`:
 * a crash of the database server may lose the last commits, never half of one).
 */
export async function inTransaction<R>(client: pg.PoolClient, fn: () => Promise<R>, opts: { sync: boolean } = { sync: true }): Promise<R> {
  await client.query('BEGIN');
  try {
    if (!opts.sync) await client.query('SET LOCAL synchronous_commit TO off');
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined); // the original error is the one to report
    throw err;
  }
}
