/** A real LevelDB on a temp dir for store tests: opened before the file's tests, removed after. */
import { after, before } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../src/storage/db.js';

/** The holder shape the stores take; `holder.db` is set once `before` has run. */
export function useTempDb(): { db: Db } {
  const holder = {} as { db: Db };
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'troupe-db-'));
    holder.db = await openDb(dir);
  });
  after(async () => {
    await holder.db.close();
    await rm(dir, { recursive: true, force: true });
  });
  return holder;
}
