/**
 * mod_muc's storage (STYLE §8): persistent rooms (XEP-0045 §10.2 `muc#roomconfig_persistentroom`)
 * by service and room name: configuration, affiliations and subject. LevelDB backend in
 * `mod_muc.level.ts`. A temporary room is never stored.
 */
import type { RoomConfig } from '../../src/muc/config.js';
import type { Affiliation } from '../../src/muc/roles.js';

export interface StoredRoom {
  config: RoomConfig;
  /** bare JID → affiliation (none is not stored). */
  affiliations: [string, Affiliation][];
  subject: { text: string; nick: string } | null;
}

export interface MucStore {
  get(service: string, room: string): Promise<StoredRoom | undefined>;
  put(service: string, room: string, stored: StoredRoom): Promise<void>;
  delete(service: string, room: string): Promise<void>;
  /** Every stored room of the service: name and what is stored. */
  list(service: string): Promise<[string, StoredRoom][]>;
}
