/**
 * Account removal on LevelDB (issue #5 item 8): the account and every store's rows of the user
 * in ONE batch, every table emptied of that user and nobody else's row touched; the caches that
 * asked to be told hear of it only after the commit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TABLES, table, type Db } from '../../src/storage/db.js';
import { UserRemoval } from '../../src/storage/user_removal.js';
import { DEFAULT_CONFIG } from '../../src/pep/config.js';
import { publishItem } from '../../src/pep/node.js';
import { emptyItem } from '../../src/roster/item.js';
import { levelStores, type Stores } from '../../actors/stores.js';
import { useTempDb } from '../support/db.js';

const holder = useTempDb();

/** A row for `user` in every table a user has. */
async function furnish(stores: Stores, user: string): Promise<void> {
  await stores.passwd().set(user, 'localhost', { format: 'plain', password: 'pw' });
  await stores.roster().transaction(user, 'localhost', (tx) => tx.write('x@localhost', { ...emptyItem('x@localhost'), listed: true }));
  await stores.offline().store(user, 'localhost', { xml: '<message/>', from: 'x@localhost' }, 10);
  await stores.vcard().set(user, 'localhost', { xml: '<vCard xmlns="vcard-temp"/>', photo: '' });
  await stores.private().set(user, 'localhost', [{ ns: 'urn:p', name: 'p', xml: '<p xmlns="urn:p"/>' }], 1000);
  await stores.blocking().set(user, 'localhost', ['spam@localhost']);
  await stores.last().set(user, 'localhost', { at: 1, status: '' });
  await stores.mam().append(user, 'localhost', { peer: 'x@localhost', out: true, xml: '<message/>' });
  await stores.mam().setPrefs(user, 'localhost', { default: 'always', always: [], never: [] });
  await stores.pep().update(user, 'localhost', 'urn:n', (n) => publishItem(n, { id: '1', xml: '<n xmlns="urn:n"/>' }, {}, DEFAULT_CONFIG));
}

/** The tables holding a key of `user` (keys start `host\0user`, then end or go on after a NUL). */
async function tablesOf(db: Db, user: string): Promise<string[]> {
  const prefix = `localhost\0${user}`;
  const found: string[] = [];
  for (const name of TABLES) {
    const keys = await table(db, name).keys({ gte: prefix, lt: `${prefix}\u0001` }).all();
    if (keys.some((k) => k === prefix || k.startsWith(`${prefix}\0`))) found.push(name);
  }
  return found;
}

test('the account and all its data go in one LevelDB batch; the other user keeps everything', async () => {
  const stores = levelStores(holder);
  await furnish(stores, 'al');
  await furnish(stores, 'alan');
  const everyTable = TABLES.filter((t) => t !== 'muc_room' && t !== 'mam_clock'); // rooms, and the node's archive clock, are no user's
  assert.deepEqual(await tablesOf(holder.db, 'al'), everyTable);

  const removal = new UserRemoval('al', 'localhost');
  await stores.passwd().removeUser(removal);
  for (const store of [stores.roster(), stores.offline(), stores.vcard(), stores.private(), stores.blocking(), stores.mam(), stores.pep()]) await store.removeUser(removal);
  await stores.last().removeUser(removal);
  const told: string[] = [];
  removal.afterCommit(() => told.push('committed'));
  assert.deepEqual(await tablesOf(holder.db, 'al'), everyTable, 'nothing deleted before the commit');
  assert.deepEqual(told, []);

  const batches: number[] = [];
  const batch = holder.db.batch.bind(holder.db);
  holder.db.batch = ((ops: unknown[], ...rest: unknown[]) => (batches.push(ops.length), (batch as (...a: unknown[]) => unknown)(ops, ...rest))) as typeof holder.db.batch;
  try {
    await stores.commitRemoval(removal);
  } finally {
    holder.db.batch = batch;
  }
  assert.equal(batches.length, 1, 'one batch');
  assert.deepEqual(await tablesOf(holder.db, 'al'), []);
  assert.deepEqual(told, ['committed']);
  assert.deepEqual(await tablesOf(holder.db, 'alan'), everyTable, "a user whose name extends the removed one's keeps all");
});
