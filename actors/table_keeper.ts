/**
 * The owner of a shared table, like the process owning an ETS table with an heir: the table
 * object lives in the tree (it survives the keeper's restart); the keeper serialises writes and
 * monitors every process that put entries in it, dropping them when it dies. A restarted
 * keeper re-monitors the owners it finds, so a crash loses no route, session or hook.
 */
import { call, type DownMessage, type Process } from '../supervision/process.js';
import { noreply, reply, start, type GenServer } from '../supervision/gen_server.js';
import type { ExitReason } from '../supervision/exit_reason.js';

export interface OwnedTable {
  owners(): Iterable<Process>;
  /** Removes what `owner` registered; called when it dies. */
  dropOwner(owner: Process, reason: ExitReason): void;
}

interface State<T> {
  table: T;
  monitored: Map<Process, number>;
}

interface Update<T> {
  owner: Process;
  apply(table: T): unknown;
}

interface KeeperArgs<T> {
  table: T;
  /** Extra start-up work, e.g. `local` registering its hosts with the router. */
  onInit?: (self: Process) => Promise<void>;
}

function keeper<T extends OwnedTable>(): GenServer<State<T>, KeeperArgs<T>> {
  return {
    async init({ table, onInit }, self) {
      const state: State<T> = { table, monitored: new Map() };
      for (const owner of table.owners()) watch(state, owner, self);
      await onInit?.(self);
      return state;
    },
    handleCall(request, _from, state, self) {
      const update = request as Update<T>;
      watch(state, update.owner, self);
      return reply(update.apply(state.table), state);
    },
    handleInfo(msg, state) {
      const down = msg as DownMessage;
      if (down?.type === 'DOWN' && state.monitored.get(down.pid) === down.ref) {
        state.monitored.delete(down.pid);
        state.table.dropOwner(down.pid, down.reason);
      }
      return noreply(state);
    },
  };
}

function watch<T extends OwnedTable>(state: State<T>, owner: Process, self: Process): void {
  if (!state.monitored.has(owner)) state.monitored.set(owner, self.monitor(owner));
}

export function startKeeper<T extends OwnedTable>(
  name: string, table: T, parent: Process, onInit?: (self: Process) => Promise<void>,
): Promise<Process> {
  const args: KeeperArgs<T> = { table };
  if (onInit) args.onInit = onInit;
  return start(keeper<T>(), args, { name, link: parent });
}

/** A write to the table `name` keeps, on behalf of `owner` (whose death undoes it). */
export function updateTable<T, R>(name: string, owner: Process, apply: (table: T) => R): Promise<R> {
  return call<R>(name, { owner, apply } satisfies Update<T>);
}
