/**
 * mod_last's storage (STYLE §8): when each user last went unavailable, and with what status
 * (XEP-0012 §4). One row per user; LevelDB in `mod_last.level.ts`.
 */

import type { UserRemoval } from '../../src/storage/user_removal.js';

export interface LastActivity {
  /** Unix time, seconds. */
  at: number;
  /** The status text of the unavailable presence ('' when the connection just ended). */
  status: string;
}

export interface LastStore {
  get(user: string, host: string): Promise<LastActivity | undefined>;
  set(user: string, host: string, activity: LastActivity): Promise<void>;
  /** Adds the user's row to the account's removal. */
  removeUser(removal: UserRemoval): Promise<void>;
}
