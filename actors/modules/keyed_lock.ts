/**
 * A lock per key (here: per user), like the record locks of an mnesia transaction: the
 * read-modify-write of one user's rows runs alone, whichever process asks (the module's mailbox
 * for IQs, a c2s or sm running a hook for presence subscriptions). The table belongs to the
 * storage holder, not to a module process, so a module restarted while an orphaned handler of
 * its previous incarnation still writes cannot interleave with it.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` once every earlier holder of `key` has finished; its result or error is returned. */
  run<R>(key: string, fn: () => Promise<R>): Promise<R> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(fn, fn);
    const tail = result.then(() => undefined, () => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys currently held or awaited (for tests). */
  get size(): number {
    return this.tails.size;
  }
}

const locks = new WeakMap<object, Map<string, KeyedLock>>();

/** The lock table named `table` that belongs to `owner` (a storage holder), created on first use. */
export function lockFor(owner: object, table: string): KeyedLock {
  let tables = locks.get(owner);
  if (!tables) locks.set(owner, (tables = new Map()));
  let lock = tables.get(table);
  if (!lock) tables.set(table, (lock = new KeyedLock()));
  return lock;
}
