/**
 * mod_roster's cache over the real LevelDB store: repeated reads stay in memory, a write or an
 * account removal is seen by the next read, and a read that overlapped a write is not kept.
 */
import { useTempDb } from '../support/db.js';
import { removeWith } from '../support/stores.js';
import { levelStores } from '../../actors/stores.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyItem } from '../../src/roster/item.js';
import { levelRosterStore } from '../../actors/modules/mod_roster.level.js';
import { cachedRosterStore } from '../../actors/modules/mod_roster.cache.js';
import type { RosterStore } from '../../actors/modules/mod_roster.store.js';

const holder = useTempDb();

/** The level store, counting the reads that reach it. */
function countingStore(): { store: RosterStore; reads: () => number } {
  const inner = levelRosterStore(holder);
  let reads = 0;
  return {
    store: { ...inner, read: (u, h) => (reads++, inner.read(u, h)) },
    reads: () => reads,
  };
}

const listed = (jid: string) => ({ ...emptyItem(jid), listed: true });
const opts = { size: 100, lifeTime: 60 };

test('a roster read twice reaches the store once; a write is seen by the next read', async (t) => {
  const { store, reads } = countingStore();
  const cached = cachedRosterStore(store, opts);
  t.after(() => cached.close());
  await cached.transaction('ann', 'localhost', (tx) => tx.write('bob@localhost', listed('bob@localhost')));
  assert.deepEqual((await cached.read('ann', 'localhost')).items.map((i) => i.jid), ['bob@localhost']);
  assert.equal((await cached.read('ann', 'localhost')).version, 1);
  assert.equal(reads(), 1);
  assert.equal((await cached.item('ann', 'localhost', 'bob@localhost'))?.jid, 'bob@localhost');

  await cached.transaction('ann', 'localhost', (tx) => tx.write('cat@localhost', listed('cat@localhost')));
  const after = await cached.read('ann', 'localhost');
  assert.deepEqual(after.items.map((i) => i.jid).sort(), ['bob@localhost', 'cat@localhost']);
  assert.equal(after.version, 2);
  assert.equal(reads(), 2);
});

test('a read that overlapped a write is returned but not kept', async (t) => {
  const { store, reads } = countingStore();
  // The first read gets its (old, empty) roster from the store, then is held until the write is done.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let first = true;
  const slow: RosterStore = { ...store, read: async (u, h) => {
    const roster = await store.read(u, h);
    if (first) (first = false), await held;
    return roster;
  } };
  const cached = cachedRosterStore(slow, opts);
  t.after(() => cached.close());
  const reading = cached.read('dan', 'localhost');
  await cached.transaction('dan', 'localhost', (tx) => tx.write('eve@localhost', listed('eve@localhost')));
  release();
  assert.deepEqual((await reading).items, []);
  assert.deepEqual((await cached.read('dan', 'localhost')).items.map((i) => i.jid), ['eve@localhost']);
  assert.equal(reads(), 2);
});

test('account removal empties the cached roster', async (t) => {
  const { store } = countingStore();
  const cached = cachedRosterStore(store, opts);
  t.after(() => cached.close());
  await cached.transaction('fay', 'localhost', (tx) => tx.write('gus@localhost', listed('gus@localhost')));
  assert.equal((await cached.read('fay', 'localhost')).items.length, 1);
  await removeWith(levelStores(holder), 'fay', 'localhost', (r) => cached.removeUser(r));
  assert.deepEqual(await cached.read('fay', 'localhost'), { items: [], version: 0 });
  assert.equal(await cached.item('fay', 'localhost', 'gus@localhost'), undefined);
});

test('callers own the list they get: changing it does not change the cache', async (t) => {
  const cached = cachedRosterStore(countingStore().store, opts);
  t.after(() => cached.close());
  await cached.transaction('hal', 'localhost', (tx) => tx.write('ivy@localhost', listed('ivy@localhost')));
  (await cached.read('hal', 'localhost')).items.pop();
  assert.equal((await cached.read('hal', 'localhost')).items.length, 1);
});
