/**
 * mod_mam's store, on each backend: an archive in time order, one user's rows only, ranges and the
 * `with` match (XEP-0313 §4.1.1), preferences beside the archive but never in its range, removal
 * of everything in one batch, retention deleting only what is older than the cutoff.
 */
import { appendWritten, forEachBackend, removeWith } from '../support/stores.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJid } from '../../src/jid.js';
import { idTime, timeKey } from '../../src/mam/id.js';
import type { ArchiveEntry } from '../../actors/modules/mod_mam.store.js';
import { levelStores } from '../../actors/stores.js';
import { table } from '../../src/storage/db.js';
import { useTempDb } from '../support/db.js';

const entry = (peer: string, body: string, out = false): ArchiveEntry => ({ peer, out, xml: `<message><body>${body}</body></message>` });

forEachBackend(({ stores, restart, putArchived }) => {
  test('append: ids grow in time order, also when appended concurrently; ranges and with', async () => {
    const s = stores.mam();
    const appended = await Promise.all(Array.from({ length: 30 }, (_, i) => appendWritten(s.append('juliet', 'localhost', entry(i % 2 ? 'romeo@montague.lit/orchard' : 'nurse@capulet.lit', `m${i}`)))));
    const ids = await s.ids('juliet', 'localhost', {});
    assert.equal(ids.length, 30);
    assert.deepEqual([...ids].sort(), ids, 'key order');
    assert.deepEqual(new Set(ids), new Set(appended));
    const got = await s.get('juliet', 'localhost', ids);
    assert.equal(new Set(got.map((m) => m.xml)).size, 30);
    assert.deepEqual(await s.ids('juliet', 'localhost', { gte: `${ids[4]}\0`, lt: ids[8] }), ids.slice(5, 8));
    assert.equal((await s.ids('juliet', 'localhost', { with: parseJid('romeo@montague.lit') })).length, 15);
    assert.equal((await s.ids('juliet', 'localhost', { with: parseJid('romeo@montague.lit/orchard') })).length, 15);
    assert.equal((await s.ids('juliet', 'localhost', { with: parseJid('romeo@montague.lit/balcony') })).length, 0);
    assert.equal((await s.ids('juliet', 'localhost', { with: parseJid('romeo@montague.li') })).length, 0, 'no prefix match');
    assert.ok(await s.has('juliet', 'localhost', [ids[0] as string, ids[29] as string]));
    assert.ok(!(await s.has('juliet', 'localhost', [ids[0] as string, 'nope'])));
    assert.deepEqual(await s.bounds('juliet', 'localhost'), { first: ids[0], last: ids[29] });
    assert.equal(await s.bounds('jul', 'localhost'), null, 'a user whose name prefixes another sees nothing of it');
    assert.deepEqual(await s.ids('juliet', 'example.org', {}), []);
  });

  test('reads see an append as soon as its id is handed out, before its write is awaited', async () => {
    const s = stores.mam();
    // Not awaiting `written`: what a recipient does who queries right after the message arrived.
    const { id } = await s.append('mercutio', 'localhost', entry('romeo@montague.lit', 'a plague'));
    assert.deepEqual(await s.ids('mercutio', 'localhost', {}), [id]);
    const { id: next } = await s.append('mercutio', 'localhost', entry('romeo@montague.lit', 'on both your houses'));
    assert.deepEqual((await s.get('mercutio', 'localhost', [next])).map((m) => m.xml), ['<message><body>on both your houses</body></message>']);
    const { id: last } = await s.append('mercutio', 'localhost', entry('romeo@montague.lit', 'houses'));
    assert.ok(await s.has('mercutio', 'localhost', [last]));
    const { id: final } = await s.append('mercutio', 'localhost', entry('romeo@montague.lit', 'worms'));
    assert.deepEqual(await s.bounds('mercutio', 'localhost'), { first: id, last: final });
  });

  test('after a restart, appends still come after every id of the previous run, even if the clock is now behind', async (t) => {
    const ahead = Date.now() + 3_600_000;
    t.mock.method(Date, 'now', () => ahead);
    const earlier = await appendWritten(restart().mam().append('tybalt', 'localhost', entry('x@y', 'clock an hour ahead')));
    t.mock.restoreAll();
    assert.ok(idTime(earlier) >= ahead * 1000);
    const id = await appendWritten(restart().mam().append('tybalt', 'localhost', entry('x@y', 'now')));
    assert.ok(id > earlier, `${id} after ${earlier}`);
    assert.deepEqual((await stores.mam().ids('tybalt', 'localhost', {})).at(-1), id);
  });

  test('preferences sit beside the archive, outside its range; removeUser drops both', async () => {
    const s = stores.mam();
    await appendWritten(s.append('romeo', 'localhost', entry('juliet@capulet.lit', 'hi', true)));
    await s.setPrefs('romeo', 'localhost', { default: 'never', always: ['juliet@capulet.lit'], never: [] });
    await appendWritten(s.append('romeo2', 'localhost', entry('juliet@capulet.lit', 'other user')));
    assert.deepEqual(await s.prefs('romeo', 'localhost'), { default: 'never', always: ['juliet@capulet.lit'], never: [] });
    assert.equal((await s.ids('romeo', 'localhost', {})).length, 1);
    await removeWith(stores, 'romeo', 'localhost', (r) => s.removeUser(r));
    assert.equal(await s.prefs('romeo', 'localhost'), undefined);
    assert.deepEqual(await s.ids('romeo', 'localhost', {}), []);
    assert.equal((await s.ids('romeo2', 'localhost', {})).length, 1, 'other users keep theirs');
  });

  test('expire: deletes only messages older than the cutoff, of every user of that host', async () => {
    const s = stores.mam();
    const now = Date.now() * 1000;
    for (const user of ['old1', 'old2']) {
      for (let i = 0; i < 3; i++) await putArchived(user, 'localhost', `${timeKey(now - 10_000_000_000 + i)}aaaaaa`, entry('x@y', 'old'));
      await appendWritten(s.append(user, 'localhost', entry('x@y', 'new')));
      await s.setPrefs(user, 'localhost', { default: 'always', always: [], never: [] });
    }
    await putArchived('old1', 'example.org', `${timeKey(now - 10_000_000_000)}aaaaaa`, entry('x@y', 'other host'));
    const before = (await s.ids('juliet', 'localhost', {})).length;
    const removed = await s.expire('localhost', now - 1_000_000);
    assert.equal(removed, 6);
    for (const user of ['old1', 'old2']) {
      assert.equal((await s.ids(user, 'localhost', {})).length, 1);
      assert.ok(await s.prefs(user, 'localhost'));
    }
    assert.equal((await s.ids('old1', 'example.org', {})).length, 1);
    assert.equal((await s.ids('juliet', 'localhost', {})).length, before, 'recent archives untouched');
  });
});

describe('leveldb, archived into before the clock mark was kept', () => {
  const holder = useTempDb();
  test('the first append of a store comes after the newest id already stored', async () => {
    const future = (Date.now() + 3_600_000) * 1000;
    await table<ArchiveEntry>(holder.db, 'mam').put(`localhost\0tybalt\0${timeKey(future)}aaaaaa`, entry('x@y', 'future'));
    const id = await appendWritten(levelStores(holder).mam().append('mercutio', 'localhost', entry('x@y', 'now')));
    assert.ok(idTime(id) > future);
  });
});
