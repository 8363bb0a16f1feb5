/**
 * The roster store, on each backend: one batch (LevelDB) or one SQL transaction (PostgreSQL)
 * per change (item + version), versions that only grow, one user's read-modify-writes
 * serialised whoever runs them, and the keyed lock beneath.
 */
import { forEachBackend, removeWith } from '../support/stores.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyItem } from '../../src/roster/item.js';
import { KeyedLock } from '../../actors/modules/keyed_lock.js';

forEachBackend(({ stores }) => {
  test('each write stores the item with the new version, in one batch', async () => {
    const store = stores.roster();
    const v = await store.transaction('alice', 'localhost', async (tx) => {
      assert.equal(tx.version, 0);
      await tx.write('bob@localhost', { ...emptyItem('bob@localhost'), listed: true });
      return tx.write('carol@localhost', { ...emptyItem('carol@localhost'), listed: true });
    });
    assert.equal(v, 2);
    const { items, version } = await store.read('alice', 'localhost');
    assert.equal(version, 2);
    assert.deepEqual(items.map((i) => [i.jid, i.ver]), [['bob@localhost', 1], ['carol@localhost', 2]]);
    assert.equal((await store.item('alice', 'localhost', 'bob@localhost'))?.ver, 1);
    // Nothing of another user, or of a user whose name extends this one, leaks into the range.
    await store.transaction('alice2', 'localhost', (tx) => tx.write('x@localhost', emptyItem('x@localhost')));
    assert.equal((await store.read('alice', 'localhost')).items.length, 2);
  });

  test('a change the user cannot see is written without a version bump', async () => {
    const store = stores.roster();
    await store.transaction('dora', 'localhost', (tx) => tx.write('eve@localhost', { ...emptyItem('eve@localhost'), listed: true }));
    const v = await store.transaction('dora', 'localhost', (tx) => tx.write('zed@localhost', { ...emptyItem('zed@localhost'), pendingIn: true }, false));
    assert.equal(v, 1);
    const { items, version } = await store.read('dora', 'localhost');
    assert.equal(version, 1);
    assert.ok(items.every((i) => i.ver <= version));
  });

  test("one user's read-modify-writes never interleave", async () => {
    const store = stores.roster();
    const bump = () =>
      store.transaction('frank', 'localhost', async (tx) => {
        const old = await tx.item('counter@localhost');
        const n = Number(old?.name ?? '0');
        await new Promise((r) => setImmediate(r)); // give another transaction every chance to interleave
        await tx.write('counter@localhost', { ...emptyItem('counter@localhost'), listed: true, name: String(n + 1) });
      });
    await Promise.all(Array.from({ length: 100 }, bump));
    // A second store on the same holder (a restarted module) shares the lock.
    await Promise.all([bump(), stores.roster().transaction('frank', 'localhost', async (tx) => tx.version)]);
    const { items, version } = await store.read('frank', 'localhost');
    assert.equal(items[0]?.name, '101');
    assert.equal(version, 101);
  });

  test('a failing transaction releases the lock and writes nothing', async () => {
    const store = stores.roster();
    await assert.rejects(store.transaction('gus', 'localhost', async () => { throw new Error('boom'); }), /boom/);
    assert.equal(await store.transaction('gus', 'localhost', async (tx) => tx.version), 0);
  });

  test('a first item written without a version bump (a pending request) is read back', async () => {
    const store = stores.roster();
    const pending = { ...emptyItem('nurse@localhost'), pendingIn: true };
    assert.equal(await store.transaction('hal', 'localhost', (tx) => tx.write('nurse@localhost', pending, false)), 0);
    const { items, version } = await store.read('hal', 'localhost');
    assert.equal(version, 0);
    assert.deepEqual(items.map((i) => i.jid), ['nurse@localhost']);
  });

  test('removeUser drops items and version', async () => {
    const store = stores.roster();
    await removeWith(stores, 'alice', 'localhost', (r) => store.removeUser(r));
    assert.deepEqual(await store.read('alice', 'localhost'), { items: [], version: 0 });
    assert.equal((await store.read('alice2', 'localhost')).items.length, 1);
  });

  test('concurrent users (through the group commit on LevelDB): every item with its own version', async () => {
    const store = stores.roster();
    await Promise.all(
      Array.from({ length: 30 }, (_, u) =>
        Promise.all(Array.from({ length: 5 }, (_, k) =>
          store.transaction(`gc${u}`, 'localhost', (tx) => tx.write(`c${k}@localhost`, { ...emptyItem(`c${k}@localhost`), listed: true })))),
      ),
    );
    for (let u = 0; u < 30; u++) {
      const { items, version } = await store.read(`gc${u}`, 'localhost');
      assert.equal(version, 5);
      assert.deepEqual(items.map((i) => i.ver).sort(), [1, 2, 3, 4, 5]);
    }
  });
});

test('KeyedLock: one holder per key at a time, keys independent, entries cleaned up', async () => {
  const lock = new KeyedLock();
  const log: string[] = [];
  const job = (key: string, tag: string, ms: number) =>
    lock.run(key, async () => {
      log.push(`${tag}+`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${tag}-`);
    });
  await Promise.all([job('a', 'a1', 20), job('a', 'a2', 1), job('b', 'b1', 5)]);
  assert.deepEqual(log.filter((l) => l.startsWith('a')), ['a1+', 'a1-', 'a2+', 'a2-']);
  assert.ok(log.indexOf('b1-') < log.indexOf('a1-'), 'another key does not wait');
  await new Promise((r) => setImmediate(r));
  assert.equal(lock.size, 0);
});
