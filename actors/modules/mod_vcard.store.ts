/** mod_vcard's storage (XEP-0054, STYLE §8): one vCard per user. LevelDB backend in `mod_vcard.level.ts`. */
import type { PhotoHash } from '../../src/vcard/avatar.js';
import type { UserRemoval } from '../../src/storage/user_removal.js';

export interface StoredVcard {
  /** The `<vCard xmlns='vcard-temp'/>` element as XML. */
  xml: string;
  /** Its avatar hash (XEP-0153), computed once at set. */
  photo: PhotoHash;
}

export interface VcardStore {
  get(user: string, host: string): Promise<StoredVcard | undefined>;
  set(user: string, host: string, vcard: StoredVcard): Promise<void>;
  /** Adds the user's vCard to the account's removal. */
  removeUser(removal: UserRemoval): Promise<void>;
}
