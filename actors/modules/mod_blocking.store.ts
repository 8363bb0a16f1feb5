/** mod_blocking's storage (XEP-0191, STYLE §8): each user's blocklist, as prepared JID strings. LevelDB backend in `mod_blocking.level.ts`. */
export interface BlockingStore {
  /** The user's blocked JIDs ([] for none). */
  get(user: string, host: string): Promise<string[]>;
  /** Replaces the user's blocklist (an empty one deletes its row). */
  set(user: string, host: string, jids: string[]): Promise<void>;
  /** The user's blocklist goes, in one batch. */
  removeUser(user: string, host: string): Promise<void>;
}
