/** mod_muc on PostgreSQL: the `muc_room` table, one jsonb row per persistent room, keyed by (service, name). */
import type { PgHandle } from '../../src/storage/pg/pool.js';
import type { MucStore, StoredRoom } from './mod_muc.store.js';

export function pgMucStore(holder: { readonly pg: PgHandle }): MucStore {
  const query = <R extends object>(sql: string, params: unknown[]) => holder.pg.pool.query<R>(sql, params);
  return {
    async get(service, name) {
      const { rows } = await query<{ room: StoredRoom }>('SELECT room FROM muc_room WHERE service = $1 AND name = $2', [service, name]);
      return rows[0]?.room;
    },
    async put(service, name, room) {
      await query(
        'INSERT INTO muc_room (service, name, room) VALUES ($1, $2, $3) ON CONFLICT (service, name) DO UPDATE SET room = EXCLUDED.room',
        [service, name, JSON.stringify(room)],
      );
    },
    async delete(service, name) {
      await query('DELETE FROM muc_room WHERE service = $1 AND name = $2', [service, name]);
    },
    async list(service) {
      const { rows } = await query<{ name: string; room: StoredRoom }>('SELECT name, room FROM muc_room WHERE service = $1 ORDER BY name', [service]);
      return rows.map((r): [string, StoredRoom] => [r.name, r.room]);
    },
  };
}
