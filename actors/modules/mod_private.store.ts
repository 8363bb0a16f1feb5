/**
 * mod_private's storage (XEP-0049, STYLE §8): per user, XML fragments keyed by their root's
 * name and namespace, with a bound on the user's total. LevelDB backend in `mod_private.level.ts`.
 */
import type { UserRemoval } from '../../src/storage/user_removal.js';

export interface PrivateKey {
  name: string;
  ns: string;
}

export interface StoredFragment extends PrivateKey {
  xml: string;
}

export interface PrivateStore {
  /** The stored XML of each key, in order (undefined where nothing is stored). */
  get(user: string, host: string, keys: PrivateKey[]): Promise<(string | undefined)[]>;
  /**
   * Stores (replaces) the fragments in one batch, unless the user's stored XML would then pass
   * `limit` bytes (UTF-8) in all: false then, and nothing is written. Serialised per user.
   */
  set(user: string, host: string, fragments: StoredFragment[], limit: number): Promise<boolean>;
  /** Bytes the user stores (UTF-8 of the XML). */
  size(user: string, host: string): Promise<number>;
  /** Adds every fragment of the user to the account's removal. */
  removeUser(removal: UserRemoval): Promise<void>;
}
