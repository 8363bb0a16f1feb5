/**
 * Group commit: items submitted while a write is in flight are merged into the next write, so
 * one fsync makes many transactions durable (what databases do with their log). Each caller
 * still resolves only once the write holding its item is done (with that item's result), and a
 * merged write is as atomic as each of its parts. Without concurrency (one item at a time) it is
 * a plain write. LevelDB batches below; PostgreSQL archive appends in `mod_mam.pg.ts`.
 */
import type { BatchOperation } from 'level';
import type { Db } from '../../src/storage/db.js';

export class GroupCommit<In, Out = void> {
  private waiting: { item: In; resolve(out: Out): void; reject(err: unknown): void }[] = [];
  private writing = false;

  /** `write` commits the items together and returns each one's result, in order (nothing when `Out` is void). */
  constructor(private readonly write: (items: In[]) => Promise<Out[] | void>) {}

  commit(item: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.writing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const group = this.waiting;
      this.waiting = [];
      try {
        const results = await this.write(group.map((g) => g.item));
        group.forEach((g, i) => g.resolve(results?.[i] as Out));
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
    this.writing = false;
  }
}

export type DbOp = BatchOperation<Db, string, unknown>;

/** An operation as the store's private `_batch` takes it: key prefixed, value encoded. */
interface RawOp {
  type: 'put' | 'del';
  key: string;
  value?: unknown;
}

interface Table {
  prefixKey(key: string, format: 'utf8'): string;
  valueEncoding(): { encode(value: unknown): unknown };
}

const raw = (db: Db, op: DbOp): RawOp => {
  const table = (op.sublevel ?? db) as unknown as Table;
  const key = table.prefixKey(op.key, 'utf8');
  return op.type === 'put' ? { type: 'put', key, value: table.valueEncoding().encode(op.value) } : { type: 'del', key };
};

/**
 * One LevelDB write of `ops`. The public `batch()` copies, validates and re-encodes every
 * operation, which costs more main-thread time than anything else an archived message does
 * (~8 µs per row in a busy server). Every public write of abstract-level ends in the store's
 * `_batch` (the API it defines for implementations, what `leveldb_timing.ts` times), so the
 * rows are prefixed and encoded here, as `batch()` would, and handed to it. A handle that is
 * not open goes through `batch()`, which waits for it or fails as it should.
 */
function writeBatch(db: Db, ops: DbOp[], sync: boolean): Promise<void> {
  if (db.status !== 'open') return db.batch<string, unknown>(ops, { sync });
  const store = db as unknown as { _batch(ops: RawOp[], options: { sync: boolean }): Promise<void> };
  return store._batch(ops.map((op) => raw(db, op)), { sync });
}

const groups = new WeakMap<Db, Map<boolean, GroupCommit<DbOp[]>>>();

/**
 * The group commit of a database handle for `sync` or not: every store writing to that handle
 * shares it, so the batches of all users and tables in flight together make one LevelDB write.
 */
export function groupCommitOf(db: Db, sync: boolean): GroupCommit<DbOp[]> {
  let bySync = groups.get(db);
  if (!bySync) groups.set(db, (bySync = new Map()));
  let group = bySync.get(sync);
  if (!group) {
    const write = async (batches: DbOp[][]): Promise<void> => {
      const ops = batches.flat();
      if (ops.length > 0) await writeBatch(db, ops, sync); // an empty commit only waits for the ones before it
    };
    bySync.set(sync, (group = new GroupCommit<DbOp[]>(write)));
  }
  return group;
}
