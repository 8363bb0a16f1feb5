/**
 * `troupe_leveldb_write_seconds`: every write of the database, whatever sublevel it came
 * through, ends in the root handle's private `_put`, `_del` or `_batch` (abstract-level 3
 * forwards sublevel writes to the root), so timing those three times every write once.
 */
import { observeDbWrite } from './metrics.js';

type Write = (...args: unknown[]) => Promise<unknown>;
const WRITES = ['_put', '_del', '_batch'] as const;

/** Wraps the handle's write methods in place and returns it. */
export function timeWrites<D extends object>(db: D): D {
  const methods = db as unknown as Record<(typeof WRITES)[number], Write>;
  for (const name of WRITES) {
    const original = methods[name];
    if (typeof original !== 'function') continue;
    methods[name] = async function timed(this: unknown, ...args: unknown[]) {
      const started = process.hrtime.bigint();
      try {
        return await original.apply(this, args);
      } finally {
        observeDbWrite(Number(process.hrtime.bigint() - started) / 1e9);
      }
    };
  }
  return db;
}
