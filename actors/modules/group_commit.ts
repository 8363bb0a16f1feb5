/**
 * Group commit: batches submitted while a write is in flight are merged into the next write, so
 * one fsync makes many transactions durable (what databases do with their log). Each caller
 * still resolves only once the write holding its operations is done, and a merged batch is as
 * atomic as each of its parts. Without concurrency (one transaction at a time) it is a plain write.
 */
import type { BatchOperation } from 'level';
import type { Db } from '../../src/storage/db.js';

export class GroupCommit<Op> {
  private waiting: { ops: Op[]; resolve(): void; reject(err: unknown): void }[] = [];
  private writing = false;

  constructor(private readonly write: (ops: Op[]) => Promise<void>) {}

  commit(ops: Op[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ ops, resolve, reject });
      if (!this.writing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const group = this.waiting;
      this.waiting = [];
      try {
        const ops = group.flatMap((g) => g.ops);
        if (ops.length > 0) await this.write(ops); // an empty commit only waits for the ones before it
        for (const g of group) g.resolve();
      } catch (err) {
        for (const g of group) g.reject(err);
      }
    }
    this.writing = false;
  }
}

export type DbOp = BatchOperation<Db, string, unknown>;

const groups = new WeakMap<Db, Map<boolean, GroupCommit<DbOp>>>();

/**
 * The group commit of a database handle for `sync` or not: every store writing to that handle
 * shares it, so the batches of all users and tables in flight together make one LevelDB write.
 */
export function groupCommitOf(db: Db, sync: boolean): GroupCommit<DbOp> {
  let bySync = groups.get(db);
  if (!bySync) groups.set(db, (bySync = new Map()));
  let group = bySync.get(sync);
  if (!group) bySync.set(sync, (group = new GroupCommit<DbOp>((ops) => db.batch<string, unknown>(ops, { sync }))));
  return group;
}
