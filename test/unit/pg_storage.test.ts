/**
 * What only PostgreSQL storage does: schema migrations applied once however many nodes boot at
 * once, a failed migration leaving nothing behind, and two nodes (two sets of pools, each with
 * its own in-process locks) sharing one database: a user's roster and offline messages stay
 * serialised across them, a roster change is item and version in one SQL transaction, and a
 * connection killed while it holds a lock fails only its own transaction.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { emptyItem } from '../../src/roster/item.js';
import { MIGRATIONS, migrate } from '../../src/storage/pg/migrations.js';
import { pgStores } from '../../actors/stores.js';
import { postgresSkip } from '../support/postgres.js';
import { usePgNodes } from '../support/stores.js';

describe('postgres', { skip: postgresSkip }, () => {
  const { database, node } = usePgNodes();

  test('two nodes booting at once on an empty database: each migration applied once', async () => {
    const url = await database('boot_race');
    const pools = [1, 2, 3].map(() => new pg.Pool({ connectionString: url }));
    try {
      const applied = await Promise.all(pools.map((p) => migrate(p)));
      assert.deepEqual(applied.flat(), MIGRATIONS.map((m) => m.version), 'every version applied by exactly one');
      const { rows } = await pools[0]!.query('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
      assert.deepEqual(await migrate(pools[1]!), [], 'a later boot applies nothing');
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  test('a failing migration is rolled back whole and named', async () => {
    const url = await database('bad_migration');
    const pool = new pg.Pool({ connectionString: url });
    try {
      const bad = { version: 99, name: 'broken', sql: 'CREATE TABLE half_done (x int); SELECT no_such_column FROM half_done' };
      await assert.rejects(migrate(pool, [...MIGRATIONS, bad]), /schema migration 99 \(broken\) failed/);
      const { rows } = await pool.query("SELECT to_regclass('half_done') AS t, (SELECT max(version) FROM schema_migrations) AS v");
      assert.deepEqual(rows[0], { t: null, v: MIGRATIONS.at(-1)!.version });
    } finally {
      await pool.end();
    }
  });

  test("one user's roster changes from two nodes never interleave", async () => {
    const url = await database('roster_nodes');
    const nodes = [await node(url), await node(url)];
    const bump = (i: number) =>
      pgStores(nodes[i % 2]!).roster().transaction('frank', 'localhost', async (tx) => {
        const n = Number((await tx.item('counter@localhost'))?.name ?? '0');
        await new Promise((r) => setImmediate(r)); // every chance for the other node to interleave
        await tx.write('counter@localhost', { ...emptyItem('counter@localhost'), listed: true, name: String(n + 1) });
      });
    await Promise.all(Array.from({ length: 60 }, (_, i) => bump(i)));
    const { items, version } = await pgStores(nodes[0]!).roster().read('frank', 'localhost');
    assert.equal(items[0]?.name, '60');
    assert.equal(version, 60);
  });

  test('a roster change is item and version in one SQL transaction: a failed version write leaves no item', async () => {
    const url = await database('roster_atomic');
    const holder = await node(url);
    const store = pgStores(holder).roster();
    await store.transaction('vic', 'localhost', (tx) => tx.write('a@localhost', { ...emptyItem('a@localhost'), listed: true }));
    // The database now refuses vic's version 2, so the next change's second statement fails.
    await holder.pg.pool.query("ALTER TABLE roster_version ADD CONSTRAINT vic_small CHECK (username <> 'vic' OR version < 2) NOT VALID");
    await assert.rejects(store.transaction('vic', 'localhost', (tx) => tx.write('b@localhost', { ...emptyItem('b@localhost'), listed: true })), /vic_small/);
    const { rows } = await holder.pg.pool.query("SELECT contact FROM roster WHERE username = 'vic' ORDER BY contact");
    assert.deepEqual(rows.map((r) => r.contact), ['a@localhost'], 'b was rolled back with its version');
    assert.deepEqual(await store.read('vic', 'localhost').then((r) => r.version), 1);
    await holder.pg.pool.query('ALTER TABLE roster_version DROP CONSTRAINT vic_small');
  });

  test('offline messages popped on two nodes at once are handed out once', async () => {
    const url = await database('offline_nodes');
    const nodes = [await node(url), await node(url)];
    const [a, b] = nodes.map((n) => pgStores(n).offline());
    for (let i = 0; i < 5; i++) await a!.store('olga', 'localhost', { xml: `<message>${i}</message>`, from: 'x@y' }, 100);
    const handed: number[] = [];
    const counts = await Promise.all([a!, b!, a!, b!].map((s) => s.pop('olga', 'localhost', (ms) => handed.push(ms.length))));
    assert.deepEqual(counts.sort(), [0, 0, 0, 5]);
    assert.deepEqual(handed, [5]);
  });

  test('a connection killed while it holds a roster lock: that transaction fails, the node goes on', async () => {
    const url = await database('connection_killed');
    const store = pgStores(await node(url)).roster();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const failed = store.transaction('kim', 'localhost', async (tx) => {
        const { rows } = await admin.query("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted");
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
        // The connection is gone once its backend has left pg_stat_activity.
        while ((await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [rows[0].pid])).rowCount) await new Promise((r) => setImmediate(r));
        return tx.write('a@localhost', { ...emptyItem('a@localhost'), listed: true });
      });
      await assert.rejects(failed);
      const v = await store.transaction('kim', 'localhost', (tx) => tx.write('b@localhost', { ...emptyItem('b@localhost'), listed: true }));
      assert.equal(v, 1, 'the lock went with the connection; nothing of the failed change was stored');
      assert.deepEqual((await store.read('kim', 'localhost')).items.map((i) => i.jid), ['b@localhost']);
    } finally {
      await admin.end();
    }
  });
});
