/**
 * mod_offline's storage (XEP-0160, STYLE §8): per user, messages in arrival order, with a
 * limit. LevelDB backend in `mod_offline.level.ts`.
 */
import type { UserRemoval } from '../../src/storage/user_removal.js';

export interface OfflineMessage {
  /** The message as XML, with its <delay/> (XEP-0203). */
  xml: string;
  /** The sender's JID, as routed. */
  from: string;
}

export interface OfflineStore {
  /** Appends the message unless the user already has `limit`; false when full. */
  store(user: string, host: string, message: OfflineMessage, limit: number): Promise<boolean>;
  /**
   * Hands the user's messages, oldest first, to `handOver`, then deletes exactly those in one
   * batch; serialised per user, so two resources coming online cannot both get them.
   */
  pop(user: string, host: string, handOver: (messages: OfflineMessage[]) => void): Promise<number>;
  count(user: string, host: string): Promise<number>;
  /** Adds the user's messages to the account's removal. */
  removeUser(removal: UserRemoval): Promise<void>;
}
