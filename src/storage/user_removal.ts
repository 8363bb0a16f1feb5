/**
 * Account removal as ONE write (ejabberd_auth:remove_user; XEP-0077 §3.2 cancel, `troupectl
 * unregister`; issues #5 and #9): the account and every module's data of the user go in one
 * LevelDB batch or one PostgreSQL transaction, so a failure or a crash leaves the account
 * either whole or gone, never credentials without a roster or an archive without its account.
 * Each store adds its part (`removeUser(removal)`, from the `remove_user` hook); the caller
 * commits once all have, through the backend's `commitRemoval`.
 */
import { table, userKey, type Db, type TableName } from './db.js';
import { inTransaction, withClient, type PgHandle } from './pg/pool.js';

/** The PostgreSQL tables keyed by (host, username), as in `pg/migrations.ts`. */
export type PgUserTable =
  | 'passwd' | 'roster' | 'roster_version' | 'offline' | 'vcard' | 'private' | 'privacy'
  | 'mam' | 'mam_prefs' | 'mam_seq' | 'last_activity' | 'pep';

export class UserRemoval {
  /** LevelDB: the keys the batch deletes. */
  readonly keys: { table: TableName; key: string }[] = [];
  /** PostgreSQL: the tables whose rows of (host, username) the transaction deletes. */
  readonly tables = new Set<PgUserTable>();
  private readonly afterCommits: (() => void)[] = [];

  constructor(readonly user: string, readonly host: string) {}

  /** LevelDB: deletes these keys of `name` (the user's own row when none are given). */
  deleteKeys(name: TableName, keys: string[] = [userKey(this.user, this.host)]): void {
    for (const key of keys) this.keys.push({ table: name, key });
  }

  /** PostgreSQL: deletes the user's rows of these tables. */
  deleteRows(...tables: PgUserTable[]): void {
    for (const t of tables) this.tables.add(t);
  }

  /**
   * Runs `fn` once the removal is committed: a module's cache dropped any earlier could be
   * filled again, from the rows about to go, by a read in between.
   */
  afterCommit(fn: () => void): void {
    this.afterCommits.push(fn);
  }

  /** Called by the backend's commit, once the write is done. */
  committed(): void {
    for (const fn of this.afterCommits) fn();
  }
}

/** One LevelDB batch, fsync'd: the removal is durable before anyone is told. */
export async function commitLevelRemoval(db: Db, removal: UserRemoval): Promise<void> {
  await db.batch<string, unknown>(removal.keys.map(({ table: name, key }) => ({ type: 'del' as const, sublevel: table(db, name), key })), { sync: true });
  removal.committed();
}

/**
 * One SQL transaction. It takes no advisory lock: each DELETE locks the rows it deletes, which
 * is what keeps it from interleaving with an offline pop or an archive append of the same user
 * (the counter row in `mam_seq`); a write that commits after it is a write after the removal.
 */
export async function commitPgRemoval(pg: PgHandle, removal: UserRemoval): Promise<void> {
  await withClient(pg.pool, (client) =>
    inTransaction(client, async () => {
      for (const t of removal.tables) await client.query(`DELETE FROM ${t} WHERE host = $1 AND username = $2`, [removal.host, removal.user]);
    }));
  removal.committed();
}
