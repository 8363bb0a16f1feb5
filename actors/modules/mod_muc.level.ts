/**
 * mod_muc on LevelDB: the `muc_room` sublevel under `service\0room`, so a range read returns
 * one service's rooms (room names cannot hold a NUL).
 */
import { table, type Db } from '../../src/storage/db.js';
import type { MucStore, StoredRoom } from './mod_muc.store.js';

const key = (service: string, room: string): string => `${service}\0${room}`;

export function levelMucStore(holder: { readonly db: Db }): MucStore {
  const rooms = () => table<StoredRoom>(holder.db, 'muc_room');
  return {
    get: (service, room) => rooms().get(key(service, room)),
    put: (service, room, stored) => rooms().put(key(service, room), stored),
    delete: (service, room) => rooms().del(key(service, room)),
    async list(service) {
      const entries = await rooms().iterator({ gte: `${service}\0`, lt: `${service}\u0001` }).all();
      return entries.map(([k, v]) => [k.slice(service.length + 1), v]);
    },
  };
}
