/**
 * The `storage` actor owns the storage handle of the configured backend (issue #9): the
 * LevelDB database, or the PostgreSQL pools (schema migrations applied before it reports
 * started). Opened in `init`, closed in `terminate`. Others read it through the holder, which
 * always points at the live handle.
 */
import type { Process } from '../supervision/process.js';
import { reply, start, type GenServer } from '../supervision/gen_server.js';
import { openDb, type Db } from '../src/storage/db.js';
import { closePg, openPg, type PgHandle } from '../src/storage/pg/pool.js';
import { timeWrites } from '../src/http/leveldb_timing.js';
import type { Config } from '../src/config/schema.js';

export class StorageHolder {
  private current: Db | null = null;
  private currentPg: PgHandle | null = null;

  get db(): Db {
    if (!this.current || this.current.status !== 'open') throw new Error('storage is not open (restarting, or storage is not leveldb)');
    return this.current;
  }

  get pg(): PgHandle {
    if (!this.currentPg) throw new Error('storage is not open (restarting, or storage is not postgres)');
    return this.currentPg;
  }

  set(db: Db | null): void {
    this.current = db;
  }

  setPg(pg: PgHandle | null): void {
    this.currentPg = pg;
  }

  /** A handle left open by a killed storage actor (kill skips terminate) must go before reopening. */
  async closeStale(): Promise<void> {
    if (this.current && this.current.status === 'open') await this.current.close();
    this.current = null;
    const pg = this.currentPg;
    this.currentPg = null;
    if (pg) await closePg(pg);
  }
}

export type StorageConfig = Pick<Config, 'data_dir' | 'storage' | 'postgres_url'>;

interface State {
  holder: StorageHolder;
  config: StorageConfig;
}

const storage: GenServer<State, State> = {
  async init(args) {
    await args.holder.closeStale();
    const { config, holder } = args;
    if (config.storage === 'postgres') holder.setPg(await openPg(config.postgres_url as string));
    else holder.set(timeWrites(await openDb(config.data_dir)));
    return args;
  },
  handleCall(request, _from, state) {
    if (request === 'status') return reply(state.config.storage === 'postgres' ? 'open' : state.holder.db.status, state);
    throw new Error(`storage: unknown request ${String(request)}`);
  },
  async terminate(_reason, state) {
    await state.holder.closeStale();
  },
};

export function startStorage(holder: StorageHolder, config: StorageConfig, parent: Process): Promise<Process> {
  return start(storage, { holder, config }, { name: 'storage', link: parent, trapExit: true });
}
