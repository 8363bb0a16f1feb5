/**
 * The one place that picks the storage backend (issue #9): every module and the accounts get
 * their store from `node.stores`, built for `storage: leveldb | postgres`, so no module knows
 * which backend it writes to. Each store reads the live handle through the holder at each call,
 * so a restarted storage actor is picked up.
 */
import type { Config } from '../src/config/schema.js';
import type { Db } from '../src/storage/db.js';
import type { PgHandle } from '../src/storage/pg/pool.js';
import { levelPasswdStore, type PasswdStore } from '../src/storage/passwd.js';
import { pgPasswdStore } from '../src/storage/passwd.pg.js';
import { commitLevelRemoval, commitPgRemoval, type UserRemoval } from '../src/storage/user_removal.js';
import type { RosterStore } from './modules/mod_roster.store.js';
import type { OfflineStore } from './modules/mod_offline.store.js';
import type { MamStore } from './modules/mod_mam.store.js';
import type { PrivateStore } from './modules/mod_private.store.js';
import type { VcardStore } from './modules/mod_vcard.store.js';
import type { BlockingStore } from './modules/mod_blocking.store.js';
import type { LastStore } from './modules/mod_last.store.js';
import type { MucStore } from './modules/mod_muc.store.js';
import type { PepStore } from './modules/mod_pep.store.js';
import { levelRosterStore } from './modules/mod_roster.level.js';
import { levelOfflineStore } from './modules/mod_offline.level.js';
import { levelMamStore } from './modules/mod_mam.level.js';
import { levelPrivateStore } from './modules/mod_private.level.js';
import { levelVcardStore } from './modules/mod_vcard.level.js';
import { levelBlockingStore } from './modules/mod_blocking.level.js';
import { levelLastStore } from './modules/mod_last.level.js';
import { levelMucStore } from './modules/mod_muc.level.js';
import { levelPepStore } from './modules/mod_pep.level.js';
import { pgRosterStore } from './modules/mod_roster.pg.js';
import { pgOfflineStore } from './modules/mod_offline.pg.js';
import { pgMamStore } from './modules/mod_mam.pg.js';
import { pgPrivateStore } from './modules/mod_private.pg.js';
import { pgVcardStore } from './modules/mod_vcard.pg.js';
import { pgBlockingStore } from './modules/mod_blocking.pg.js';
import { pgLastStore } from './modules/mod_last.pg.js';
import { pgMucStore } from './modules/mod_muc.pg.js';
import { pgPepStore } from './modules/mod_pep.pg.js';

/** `sync`: a write resolves only once durable (fsync / WAL flush), else soon after. */
export interface WriteOptions {
  sync: boolean;
}

export interface Stores {
  /** Other nodes write the same data (PostgreSQL): a per-node cache of it would go stale. */
  readonly shared: boolean;
  passwd(): PasswdStore;
  roster(opts?: WriteOptions): RosterStore;
  offline(opts?: WriteOptions): OfflineStore;
  mam(): MamStore;
  private(): PrivateStore;
  vcard(): VcardStore;
  blocking(): BlockingStore;
  last(): LastStore;
  muc(): MucStore;
  pep(): PepStore;
  /** Writes an account's removal, gathered from the stores, as one batch or transaction. */
  commitRemoval(removal: UserRemoval): Promise<void>;
}

export function levelStores(holder: { readonly db: Db }): Stores {
  // One archive store for the node: its clock issues every archive id (mod_mam's and the rooms').
  const mam = levelMamStore(holder);
  return {
    shared: false,
    passwd: () => levelPasswdStore(holder.db),
    roster: (opts) => levelRosterStore(holder, opts),
    offline: (opts) => levelOfflineStore(holder, opts),
    mam: () => mam,
    private: () => levelPrivateStore(holder),
    vcard: () => levelVcardStore(holder),
    blocking: () => levelBlockingStore(holder),
    last: () => levelLastStore(holder),
    muc: () => levelMucStore(holder),
    pep: () => levelPepStore(holder),
    commitRemoval: (removal) => commitLevelRemoval(holder.db, removal),
  };
}

export function pgStores(holder: { readonly pg: PgHandle }): Stores {
  return {
    shared: true,
    passwd: () => pgPasswdStore(holder),
    roster: (opts) => pgRosterStore(holder, opts),
    offline: (opts) => pgOfflineStore(holder, opts),
    mam: () => pgMamStore(holder),
    private: () => pgPrivateStore(holder),
    vcard: () => pgVcardStore(holder),
    blocking: () => pgBlockingStore(holder),
    last: () => pgLastStore(holder),
    muc: () => pgMucStore(holder),
    pep: () => pgPepStore(holder),
    commitRemoval: (removal) => commitPgRemoval(holder.pg, removal),
  };
}

/** The stores of the configured backend, over the storage actor's holder. */
export function storesFor(backend: Config['storage'], holder: { readonly db: Db; readonly pg: PgHandle }): Stores {
  return backend === 'postgres' ? pgStores(holder) : levelStores(holder);
}
