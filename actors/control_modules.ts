/**
 * What `reload` and `restore` do to the modules under `modules_sup`, with the supervisor's
 * own operations (OTP `terminate_child`, `delete_child`, `start_child`, `restart_child`): a
 * module's registrations (IQ handlers, hooks, routes) go with its process and come back from
 * its `start` in init, so a restarted module has its new options and empty caches.
 */
import { whereis } from '../supervision/registry.js';
import { deleteChild, restartChild, startChild, terminateChild, whichChildren } from '../supervision/supervisor.js';
import type { ChildSpec } from '../supervision/child_spec.js';
import { updateTable } from './table_keeper.js';

const MODULES_SUP = 'modules_sup';

/** The keepers of the tables that modules register in. */
const KEEPERS = ['hooks', 'router', 'local', 'sm'];

/** Ids of the module children, in start order. */
export async function runningModules(): Promise<string[]> {
  return (await whichChildren(MODULES_SUP)).map((c) => c.id);
}

/** Stops the module and forgets its child spec. */
export async function stopModule(id: string): Promise<void> {
  await terminateChild(MODULES_SUP, id);
  await deleteChild(MODULES_SUP, id);
}

/** Adds a module child (after the others) and starts it. */
export async function startModule(spec: ChildSpec): Promise<void> {
  await startChild(MODULES_SUP, spec);
}

export const terminateModule = (id: string): Promise<void> => terminateChild(MODULES_SUP, id);

/** Starts a terminated module again with its own spec, in its place. */
export async function restartModule(id: string): Promise<void> {
  await restartChild(MODULES_SUP, id);
}

/**
 * Returns once every table keeper has handled the DOWN of the modules stopped so far: their
 * handlers are gone from the tables, not just about to be. (A stopped process sends DOWN before
 * its exit resolves, and a keeper's mailbox is FIFO, so one call to each is enough.)
 */
export async function tablesSettled(): Promise<void> {
  const owner = whereis('control');
  if (!owner) return;
  for (const keeper of KEEPERS) if (whereis(keeper)) await updateTable(keeper, owner, () => undefined);
}
