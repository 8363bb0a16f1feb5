/**
 * mod_blocking's table of blocklists: in memory for each user with a session (filled at login
 * by `sm_register_connection`, emptied when the last session closes), so the checks that run on
 * every stanza are a map and a set lookup; read from storage for anyone else. A change and a
 * fill of one user's entry run under a per-user lock, so no fill can put back a list that a
 * block or unblock has just replaced.
 */
import type { Jid } from '../../src/jid.js';
import type { UserRemoval } from '../../src/storage/user_removal.js';
import type { SessionTable } from '../session_table.js';
import { KeyedLock } from './keyed_lock.js';
import type { BlockingStore } from './mod_blocking.store.js';

export type Blocklist = ReadonlySet<string>;

const EMPTY: Blocklist = new Set();

export class BlockLists {
  private readonly lists = new Map<string, Blocklist>();
  private readonly lock = new KeyedLock();

  constructor(private readonly store: BlockingStore, private readonly sessions: SessionTable) {}

  /** The list of a user with a session, or undefined (not loaded: ask {@link of}). */
  cached(user: Jid): Blocklist | undefined {
    return this.lists.get(user.bareString());
  }

  /** The user's list: from memory, else from storage (kept in memory while the user has a session). */
  of(user: Jid): Blocklist | Promise<Blocklist> {
    const key = user.bareString();
    return this.lists.get(key) ?? this.lock.run(key, async () => this.lists.get(key) ?? this.keep(user, new Set(await this.store.get(user.local, user.domain))));
  }

  /** Applies `change` to the stored list and to memory; returns the list before and after. */
  update(user: Jid, change: (list: Blocklist) => Blocklist): Promise<{ before: Blocklist; after: Blocklist }> {
    const key = user.bareString();
    return this.lock.run(key, async () => {
      const before = this.lists.get(key) ?? new Set(await this.store.get(user.local, user.domain));
      const after = change(before);
      if (after !== before) await this.store.set(user.local, user.domain, [...after]);
      this.keep(user, after);
      return { before, after };
    });
  }

  /** `sm_remove_connection`: the user's last session closed. */
  forget(user: Jid): void {
    if (this.sessions.resources(user.bare()).length === 0) this.lists.delete(user.bareString());
  }

  /** `remove_user`: the list goes from storage, then from memory. */
  async remove(removal: UserRemoval): Promise<void> {
    await this.store.removeUser(removal);
    removal.afterCommit(() => this.lists.delete(`${removal.user}@${removal.host}`));
  }

  private keep(user: Jid, list: Blocklist): Blocklist {
    const kept = list.size === 0 ? EMPTY : list;
    if (this.sessions.resources(user.bare()).length > 0) this.lists.set(user.bareString(), kept);
    else this.lists.delete(user.bareString());
    return kept;
  }
}
