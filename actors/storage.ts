/**
 * The `storage` actor owns the LevelDB handle: opened in `init`, closed in `terminate`.
 * Others read it through the holder, which always points at the live handle.
 */
import type { Process } from '../supervision/process.js';
import { reply, start, type GenServer } from '../supervision/gen_server.js';
import { openDb, type Db } from '../src/storage/db.js';
import { timeWrites } from '../src/http/leveldb_timing.js';

export class StorageHolder {
  private current: Db | null = null;

  get db(): Db {
    if (!this.current || this.current.status !== 'open') throw new Error('storage is not open (restarting?)');
    return this.current;
  }

  set(db: Db | null): void {
    this.current = db;
  }

  /** A handle left open by a killed storage actor (kill skips terminate) must go before reopening. */
  async closeStale(): Promise<void> {
    if (this.current && this.current.status === 'open') await this.current.close();
    this.current = null;
  }
}

interface State {
  holder: StorageHolder;
  dataDir: string;
}

const storage: GenServer<State, State> = {
  async init(args) {
    await args.holder.closeStale();
    args.holder.set(timeWrites(await openDb(args.dataDir)));
    return args;
  },
  handleCall(request, _from, state) {
    if (request === 'status') return reply(state.holder.db.status, state);
    throw new Error(`storage: unknown request ${String(request)}`);
  },
  async terminate(_reason, state) {
    await state.holder.closeStale();
  },
};

export function startStorage(holder: StorageHolder, dataDir: string, parent: Process): Promise<Process> {
  return start(storage, { holder, dataDir }, { name: 'storage', link: parent, trapExit: true });
}
