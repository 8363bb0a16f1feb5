/**
 * mod_roster on PostgreSQL: items in `roster` (one jsonb row per contact), the version in
 * `roster_version`. A transaction holds the user's advisory lock for its whole run (every node
 * takes the same lock); each `write` is one SQL transaction holding the item and the new
 * version, and resolves only after its COMMIT, so the result and the push leave after it.
 */
import type { RosterItem } from '../../src/roster/item.js';
import { inTransaction, type PgHandle, type PoolClient } from '../../src/storage/pg/pool.js';
import { userSession } from './pg_user_lock.js';
import type { RosterStore, RosterTx } from './mod_roster.store.js';

/** Items and version in one statement: one snapshot, so they always agree. */
const READ = `
  SELECT coalesce((SELECT version FROM roster_version WHERE host = $1 AND username = $2), 0)::int AS version,
         coalesce((SELECT json_agg(item ORDER BY contact) FROM roster WHERE host = $1 AND username = $2), '[]') AS items`;

const ITEM = 'SELECT item FROM roster WHERE host = $1 AND username = $2 AND contact = $3';
const VERSION = 'SELECT version::int AS version FROM roster_version WHERE host = $1 AND username = $2';

type Queryable = Pick<PoolClient, 'query'>;

async function readItem(db: Queryable, user: string, host: string, contact: string): Promise<RosterItem | undefined> {
  const { rows } = await db.query<{ item: RosterItem }>(ITEM, [host, user, contact]);
  return rows[0]?.item;
}

async function readRoster(db: Queryable, user: string, host: string): Promise<{ items: RosterItem[]; version: number }> {
  const { rows } = await db.query<{ items: RosterItem[]; version: number }>(READ, [host, user]);
  return rows[0] as { items: RosterItem[]; version: number };
}

async function writeItem(client: PoolClient, user: string, host: string, contact: string, item: RosterItem | null, version: number | null): Promise<void> {
  if (item) {
    await client.query(
      'INSERT INTO roster (host, username, contact, item) VALUES ($1, $2, $3, $4) ON CONFLICT (host, username, contact) DO UPDATE SET item = EXCLUDED.item',
      [host, user, contact, JSON.stringify(item)],
    );
  } else {
    await client.query('DELETE FROM roster WHERE host = $1 AND username = $2 AND contact = $3', [host, user, contact]);
  }
  if (version !== null) {
    await client.query(
      'INSERT INTO roster_version (host, username, version) VALUES ($1, $2, $3) ON CONFLICT (host, username) DO UPDATE SET version = EXCLUDED.version',
      [host, user, version],
    );
  }
}

export function pgRosterStore(holder: { readonly pg: PgHandle }, opts: { sync: boolean } = { sync: true }): RosterStore {
  return {
    transaction(user, host, fn) {
      return userSession(holder, 'roster', user, host, async (client) => {
        let version = (await client.query<{ version: number }>(VERSION, [host, user])).rows[0]?.version ?? 0;
        const tx: RosterTx = {
          get version() {
            return version;
          },
          item: (contact) => readItem(client, user, host, contact),
          items: async () => (await readRoster(client, user, host)).items,
          async write(contact, item, bump = true) {
            const next = bump ? version + 1 : version;
            const value = item && { ...item, ver: bump ? next : Math.min(item.ver, version) };
            await inTransaction(client, () => writeItem(client, user, host, contact, value, bump ? next : null), opts);
            version = next;
            return next;
          },
        };
        return fn(tx);
      });
    },

    read: (user, host) => readRoster(holder.pg.pool, user, host),

    item: (user, host, contact) => readItem(holder.pg.pool, user, host, contact),

    removeUser: async (removal) => removal.deleteRows('roster', 'roster_version'),
  };
}
