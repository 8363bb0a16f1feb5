/**
 * The LevelDB offline store: messages kept in arrival order up to the limit, handed over once,
 * and a stored count that always agrees with the messages it counts.
 */
import { useTempDb } from '../support/db.js';
import { removeWith } from '../support/stores.js';
import { levelStores } from '../../actors/stores.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { table } from '../../src/storage/db.js';
import { levelOfflineStore } from '../../actors/modules/mod_offline.level.js';
import type { OfflineMessage } from '../../actors/modules/mod_offline.store.js';

const holder = useTempDb();
const message = (i: number): OfflineMessage => ({ xml: `<message><body>${i}</body></message>`, from: 'bob@localhost/x' });

/** What is on disk for the user: the messages' bodies and the stored count. */
async function onDisk(user: string) {
  const rows = await table<OfflineMessage>(holder.db, 'offline').values({ gte: `localhost\0${user}\0`, lt: `localhost\0${user}\u0001` }).all();
  const count = await table<{ n: number }>(holder.db, 'offline_count').get(`localhost\0${user}`);
  return { bodies: rows.map((m) => m.xml.replace(/\D/g, '')), count: count?.n };
}

test('messages are kept in order up to the limit, with their count in the same batches', async () => {
  const store = levelOfflineStore(holder);
  for (let i = 1; i <= 3; i++) assert.equal(await store.store('ann', 'localhost', message(i), 3), true);
  assert.equal(await store.store('ann', 'localhost', message(4), 3), false);
  assert.equal(await store.count('ann', 'localhost'), 3);
  assert.deepEqual(await onDisk('ann'), { bodies: ['1', '2', '3'], count: 3 });
});

test('pop hands every message over once, oldest first, and leaves neither messages nor count', async () => {
  const store = levelOfflineStore(holder);
  await Promise.all([1, 2, 3, 4].map((i) => store.store('dan', 'localhost', message(i), 10)));
  const got: string[] = [];
  const [first, second] = await Promise.all([
    store.pop('dan', 'localhost', (ms) => got.push(...ms.map((m) => m.xml))),
    store.pop('dan', 'localhost', (ms) => got.push(...ms.map((m) => m.xml))),
  ]);
  assert.deepEqual([first, second], [4, 0]);
  assert.deepEqual(got, [1, 2, 3, 4].map((i) => message(i).xml));
  assert.deepEqual(await onDisk('dan'), { bodies: [], count: undefined });
  assert.equal(await store.pop('dan', 'localhost', () => assert.fail('nothing is left')), 0);
});

test('account removal deletes the messages and the count', async () => {
  const store = levelOfflineStore(holder);
  await store.store('eve', 'localhost', message(1), 10);
  await removeWith(levelStores(holder), 'eve', 'localhost', (r) => store.removeUser(r));
  assert.deepEqual(await onDisk('eve'), { bodies: [], count: undefined });
  assert.equal(await store.count('eve', 'localhost'), 0);
});
