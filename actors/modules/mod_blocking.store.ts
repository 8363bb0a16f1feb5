/** mod_blocking's storage (XEP-0191, STYLE §8): each user's blocklist, as prepared JID strings. LevelDB backend in `mod_blocking.level.ts`. */
import type { UserRemoval } from '../../src/storage/user_removal.js';

export interface BlockingStore {
  /** The user's blocked JIDs ([] for none). */
  get(user: string, host: string): Promise<string[]>;
  /** Replaces the user's blocklist (an empty one deletes its row). */
  set(user: string, host: string, jids: string[]): Promise<void>;
  /** Adds the user's blocklist to the account's removal. */
  removeUser(removal: UserRemoval): Promise<void>;
}
