/**
 * mod_roster's storage (STYLE §8): one interface, one file per backend (LevelDB:
 * `mod_roster.level.ts`). A roster is a user's items plus its version (XEP-0237), a counter that
 * only grows. Changes go through `transaction`, which serialises one user's read-modify-write
 * (as the mnesia transaction of `mod_roster:process_item_set` does); each `write` in it is one
 * atomic batch holding the item and the new version.
 */
import type { RosterItem } from '../../src/roster/item.js';
import type { UserRemoval } from '../../src/storage/user_removal.js';

export interface RosterTx {
  /** The version as of the last write in this transaction (or its start). */
  readonly version: number;
  item(contact: string): Promise<RosterItem | undefined>;
  items(): Promise<RosterItem[]>;
  /**
   * Writes (or, with null, deletes) one item together with version + 1, in one batch; resolves
   * with the new version once durable. With `bump` false (a change the user cannot see, such as
   * a pending inbound request) the item is written alone and keeps its `ver`.
   */
  write(contact: string, item: RosterItem | null, bump?: boolean): Promise<number>;
}

export interface RosterStore {
  /** Runs `fn` with the user's roster locked; nothing else writes this user's roster meanwhile. */
  transaction<R>(user: string, host: string, fn: (tx: RosterTx) => Promise<R>): Promise<R>;
  /** Reads without the lock (a consistent snapshot of items and version). */
  read(user: string, host: string): Promise<{ items: RosterItem[]; version: number }>;
  item(user: string, host: string, contact: string): Promise<RosterItem | undefined>;
  /** Adds the user's whole roster and version to the account's removal. */
  removeUser(removal: UserRemoval): Promise<void>;
}
