/**
 * The group commit (`actors/modules/group_commit.ts`): batches submitted while a write is in
 * flight share the next one, and on LevelDB a shared write lands exactly what `batch()` would
 * have written, through the store's private `_batch`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroupCommit, groupCommitOf } from '../../actors/modules/group_commit.js';
import { openDb, table } from '../../src/storage/db.js';
import { useTempDb } from '../support/db.js';

test('GroupCommit: batches that meet share one write; each caller waits for its own; a failure fails its group only', async () => {
  const writes: number[][] = [];
  let fail = false;
  const group = new GroupCommit<number[]>(async (batches) => {
    await new Promise((r) => setTimeout(r, 5));
    if (fail) throw new Error('disk full');
    writes.push(batches.flat());
  });
  await Promise.all([group.commit([1]), group.commit([2, 3]), group.commit([4])]);
  assert.deepEqual(writes, [[1], [2, 3, 4]], 'the first writes alone, the others meet behind it');
  fail = true;
  await assert.rejects(group.commit([5]), /disk full/);
  fail = false;
  await group.commit([6]);
  assert.deepEqual(writes.at(-1), [6]);
});

const holder = useTempDb();

test('groupCommitOf: puts and deletes land under their table, encoded as the table reads them', async () => {
  const { db } = holder;
  const roster = table<{ jid: string; ver: number }>(db, 'roster');
  const offline = table<string[]>(db, 'offline');
  await roster.put('localhost\0alice\0gone@localhost', { jid: 'gone@localhost', ver: 1 });
  const group = groupCommitOf(db, false);
  await Promise.all([
    group.commit([
      { type: 'put', sublevel: roster, key: 'localhost\0alice\0bob@localhost', value: { jid: 'bob@localhost', ver: 2 } },
      { type: 'del', sublevel: roster, key: 'localhost\0alice\0gone@localhost' },
    ]),
    group.commit([{ type: 'put', sublevel: offline, key: 'localhost\0alice', value: ['<message/>', 'ünïcødé "quoted"'] }]),
  ]);
  assert.deepEqual(await roster.get('localhost\0alice\0bob@localhost'), { jid: 'bob@localhost', ver: 2 });
  assert.equal(await roster.get('localhost\0alice\0gone@localhost'), undefined);
  assert.deepEqual(await offline.get('localhost\0alice'), ['<message/>', 'ünïcødé "quoted"']);
  // Nothing landed outside its table: the root holds only the tables' prefixed keys.
  const keys = await db.keys().all();
  assert.deepEqual(keys.sort(), ['!offline!localhost\0alice', '!roster!localhost\0alice\0bob@localhost']);
});

test('groupCommitOf: a commit on a closed handle fails, it does not reach the store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-db-'));
  try {
    const db = await openDb(dir);
    const roster = table<number>(db, 'roster');
    await db.close();
    await assert.rejects(groupCommitOf(db, true).commit([{ type: 'put', sublevel: roster, key: 'k', value: 1 }]), /not open/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
