/**
 * mod_mam's storage (XEP-0313, STYLE §8): per user, an archive of messages ordered by id (ids
 * sort by receive time, `src/mam/id.ts`) and the archiving preferences. LevelDB backend in
 * `mod_mam.level.ts`.
 */
import type { Jid } from '../../src/jid.js';
import type { Prefs } from '../../src/mam/prefs.js';
import type { UserRemoval } from '../../src/storage/user_removal.js';

export interface ArchiveEntry {
  /** The other party: `to` of an outgoing message, `from` of an incoming one. */
  peer: string;
  out: boolean;
  /** The message as sent or received, without this archive's `<stanza-id/>`. */
  xml: string;
}

export interface ArchivedMessage extends ArchiveEntry {
  id: string;
}

/** Ids in [gte, lt), and with `with` (a bare JID matches every resource, XEP-0313 §4.1.1). */
export interface ArchiveRange {
  gte?: string;
  lt?: string;
  with?: Jid;
}

/** An append: its id at once, its write maybe still in flight. */
export interface Appended {
  id: string;
  /** Resolves once the row is written; rejects if it could not be. */
  written: Promise<void>;
}

/** An archive. Reads see every append whose id was handed out, written or still in flight. */
export interface MamStore {
  /** Appends to the archive under a new id, later than every id already in it. */
  append(user: string, host: string, entry: ArchiveEntry): Promise<Appended>;
  /** The ids of the range, oldest first. */
  ids(user: string, host: string, range: ArchiveRange): Promise<string[]>;
  /** These messages, in the order given; ids not in the archive are left out. */
  get(user: string, host: string, ids: string[]): Promise<ArchivedMessage[]>;
  /** Are all of these ids in the archive? */
  has(user: string, host: string, ids: string[]): Promise<boolean>;
  /** The oldest and newest ids, or null for an empty archive. */
  bounds(user: string, host: string): Promise<{ first: string; last: string } | null>;
  prefs(user: string, host: string): Promise<Prefs | undefined>;
  setPrefs(user: string, host: string, prefs: Prefs): Promise<void>;
  /** Adds the archive and the preferences to the account's removal. */
  removeUser(removal: UserRemoval): Promise<void>;
  /** Deletes every message of `host` received before `us` (retention); returns how many. */
  expire(host: string, us: number): Promise<number>;
}
