/**
 * Archive appends on PostgreSQL (issue #9): group-committed, many users' appends in one
 * statement, and still one archive's ids only grow in commit order when two nodes (two sets of
 * pools on one database) append for the same user at once: a reader paging "after the newest id
 * it saw" while they write misses nothing. A batch that fails rejects every caller in it.
 * Account removal is one SQL transaction: a failure at its last table deletes nothing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PgHandle } from '../../src/storage/pg/pool.js';
import { idTime } from '../../src/mam/id.js';
import { UserRemoval } from '../../src/storage/user_removal.js';
import { pgStores } from '../../actors/stores.js';
import type { ArchiveEntry } from '../../actors/modules/mod_mam.store.js';
import { postgresSkip, startPostgres } from '../support/postgres.js';
import { appendWritten, usePgNodes } from '../support/stores.js';

const entry = (body: string): ArchiveEntry => ({ peer: 'x@localhost', out: true, xml: `<message><body>${body}</body></message>` });

/** Counts the archive batches (statements that bump `mam_seq`) a node's pool runs. */
function countBatches(handle: PgHandle): { batches: number } {
  const seen = { batches: 0 };
  const query = handle.pool.query.bind(handle.pool) as (...args: unknown[]) => unknown;
  handle.pool.query = ((...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('INSERT INTO mam_seq')) seen.batches++;
    return query(...args);
  }) as typeof handle.pool.query;
  return seen;
}

describe('postgres archive batches', { skip: postgresSkip }, () => {
  const { database, node } = usePgNodes();

  test('two nodes append for one user at once: distinct ids that only grow in commit order, no row lost or missed', async () => {
    const url = await database('archive_nodes');
    const [a, b] = [pgStores(await node(url)).mam(), pgStores(await node(url)).mam()];
    const acknowledged: string[] = [];
    // A reader paging "after the newest id seen", as a client syncing with MAM does, while the nodes write.
    const seen: string[] = [];
    let writing = true;
    const reader = (async () => {
      for (;;) {
        const done = !writing; // one more read after the last write
        const last = seen.at(-1);
        seen.push(...(await a!.ids('ivy', 'localhost', last === undefined ? {} : { gte: `${last}\0` })));
        if (done) return;
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let wave = 0; wave < 10; wave++) {
      const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => appendWritten((i % 2 ? a! : b!).append('ivy', 'localhost', entry(`${wave}.${i}`)))));
      for (const id of ids) assert.ok(acknowledged.every((earlier) => earlier < id), 'an id handed out after another was acknowledged is above it');
      acknowledged.push(...ids);
    }
    writing = false;
    await reader;
    const stored = await a!.ids('ivy', 'localhost', {});
    assert.equal(new Set(acknowledged).size, 200);
    assert.deepEqual(stored, [...acknowledged].sort(), 'every acknowledged append is stored, none twice');
    assert.deepEqual(seen, stored, 'the reader saw every row: none was committed below an id it had already read');
    const bodies = (await b!.get('ivy', 'localhost', stored)).map((m) => m.xml);
    assert.equal(new Set(bodies).size, 200);
  });

  test("many users' appends in flight together go in few statements, each caller gets its own id, all readable", async () => {
    const url = await database('archive_batch');
    const holder = await node(url);
    const counter = countBatches(holder.pg);
    const store = pgStores(holder).mam();
    const users = Array.from({ length: 50 }, (_, i) => `u${i}`);
    const ids = await Promise.all(users.flatMap((u) => [appendWritten(store.append(u, 'localhost', entry(`${u} 1`))), appendWritten(store.append(u, 'localhost', entry(`${u} 2`)))]));
    assert.ok(counter.batches < 10, `100 appends of 50 users in ${counter.batches} statements`);
    for (const [i, u] of users.entries()) {
      const [first, second] = [ids[2 * i]!, ids[2 * i + 1]!];
      assert.ok(first < second, 'one user\'s appends in one batch keep their order');
      const archived = await store.get(u, 'localhost', await store.ids(u, 'localhost', {}));
      assert.deepEqual(archived.map((m) => [m.id, m.xml]), [[first, entry(`${u} 1`).xml], [second, entry(`${u} 2`).xml]]);
    }
    const { rows } = await holder.pg.pool.query("SELECT last::float8 AS last FROM mam_seq WHERE username = 'u7'");
    assert.equal(rows[0]?.last, idTime(ids[15]!), 'the counter holds the newest id');
  });

  test('account removal is one transaction: a failure at its last table deletes nothing', async () => {
    const url = await database('removal_atomic');
    const holder = await node(url);
    const stores = pgStores(holder);
    await stores.passwd().set('rex', 'localhost', { format: 'plain', password: 'pw' });
    await stores.mam().append('rex', 'localhost', entry('kept'));
    await stores.vcard().set('rex', 'localhost', { xml: '<vCard xmlns="vcard-temp"/>', photo: '' });
    await holder.pg.pool.query(`
      CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$;
      CREATE TRIGGER refuse BEFORE DELETE ON vcard FOR EACH ROW EXECUTE FUNCTION refuse();`);
    const removal = new UserRemoval('rex', 'localhost');
    await stores.passwd().removeUser(removal);
    await stores.mam().removeUser(removal);
    await stores.vcard().removeUser(removal);
    await assert.rejects(stores.commitRemoval(removal), /refused/);
    assert.ok(await stores.passwd().get('rex', 'localhost'), 'the account is still there');
    assert.equal((await stores.mam().ids('rex', 'localhost', {})).length, 1, 'and its archive');
    await holder.pg.pool.query('DROP TRIGGER refuse ON vcard');
    await stores.commitRemoval(removal);
    assert.equal(await stores.passwd().get('rex', 'localhost'), undefined);
    assert.deepEqual(await stores.mam().ids('rex', 'localhost', {}), []);
    assert.equal(await stores.vcard().get('rex', 'localhost'), undefined);
  });

  test('a batch that fails (the database stopped) rejects each of its callers', async () => {
    const own = await startPostgres();
    try {
      const store = pgStores(await node(own.url())).mam();
      await store.append('una', 'localhost', entry('before'));
      await own.stop();
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.append(`user${i % 3}`, 'localhost', entry(`lost ${i}`))));
      assert.deepEqual(results.map((r) => r.status), Array(10).fill('rejected'), 'nothing acknowledged that was not committed');
    } finally {
      await own.stop().catch(() => undefined);
    }
  });
});
