/**
 * ejabberd_hooks: named hooks per host, callbacks run by ascending priority. The `hooks`
 * actor keeps the table; `run` and `runFold` execute in the caller's process, as
 * ejabberd runs hooks in the process that fires them. A throwing callback is logged and skipped.
 */
import type { Process } from '../supervision/process.js';
import type { ExitReason } from '../supervision/exit_reason.js';
import { childLog } from '../src/log.js';
import { updateTable, type OwnedTable } from './table_keeper.js';

/**
 * Writes that a fold's callbacks started and did not wait for (mod_mam's archive rows): the
 * packet goes on meanwhile, and whoever ran the fold waits for them before it counts the packet
 * as handled (a c2s: before its next XEP-0198 ack). They never reject.
 */
export type Pending = Promise<void>[];

/** Returned by a callback to end the run (`stop` in ejabberd); from a fold it drops the packet. */
export const STOP = Symbol('stop');

export type HookCallback = (...args: any[]) => unknown;

interface Entry {
  priority: number;
  callback: HookCallback;
  owner: Process;
}

const log = childLog({ actor: 'hooks' });
const NONE: readonly Entry[] = [];

export class HookTable implements OwnedTable {
  /** hook → host → entries by priority */
  private readonly hooks = new Map<string, Map<string, Entry[]>>();

  add(hook: string, host: string, callback: HookCallback, priority: number, owner: Process): void {
    const entries = [...this.get(hook, host), { priority, callback, owner }];
    entries.sort((a, b) => a.priority - b.priority);
    this.set(hook, host, entries); // copy-on-write: a run in progress keeps its snapshot
  }

  delete(hook: string, host: string, callback: HookCallback): void {
    this.set(hook, host, this.get(hook, host).filter((e) => e.callback !== callback));
  }

  /** Two map lookups, no key string built: every stanza crosses several hooks. */
  get(hook: string, host: string): readonly Entry[] {
    return this.hooks.get(hook)?.get(host) ?? NONE;
  }

  private set(hook: string, host: string, entries: Entry[]): void {
    let hosts = this.hooks.get(hook);
    if (!hosts) this.hooks.set(hook, (hosts = new Map()));
    if (entries.length) hosts.set(host, entries);
    else hosts.delete(host);
  }

  owners(): Set<Process> {
    return new Set([...this.hooks.values()].flatMap((hosts) => [...hosts.values()].flat()).map((e) => e.owner));
  }

  dropOwner(owner: Process, _reason: ExitReason): void {
    for (const [hook, hosts] of this.hooks) {
      for (const [host, entries] of hosts) this.set(hook, host, entries.filter((e) => e.owner !== owner));
    }
  }

  /** `ejabberd_hooks:run/3`: every callback in turn until one returns STOP. */
  async run(hook: string, host: string, ...args: unknown[]): Promise<void> {
    for (const entry of this.get(hook, host)) {
      const result = invoke(hook, entry, args);
      if ((result instanceof Promise ? await result : result) === STOP) return;
    }
  }

  /** `ejabberd_hooks:run_fold/4`: threads `acc` through the callbacks; STOP ends the fold with STOP. */
  async runFold<A>(hook: string, host: string, acc: A, ...args: unknown[]): Promise<A | typeof STOP> {
    let value: unknown = acc;
    for (const entry of this.get(hook, host)) {
      const result = invoke(hook, entry, [value, ...args], value);
      value = result instanceof Promise ? await result : result;
      if (value === STOP) return STOP;
    }
    return value as A;
  }
}

/**
 * One callback; a failure is logged and `fallback` stands for its result. A callback that
 * answers at once is not awaited: most of a hook's callbacks look at the stanza and pass it on,
 * and a stanza crosses several hooks.
 */
function invoke(hook: string, entry: Entry, args: unknown[], fallback?: unknown): unknown {
  const failed = (error: unknown): unknown => {
    log.error({ hook, owner: String(entry.owner), err: error }, 'hook callback failed, skipped');
    return fallback;
  };
  try {
    const result = entry.callback(...args);
    return result instanceof Promise ? result.catch(failed) : result;
  } catch (error) {
    return failed(error);
  }
}

/** `ejabberd_hooks:add/5`: the callback is removed when `owner` dies. */
export function addHook(owner: Process, hook: string, host: string, callback: HookCallback, priority = 50): Promise<void> {
  return updateTable<HookTable, void>('hooks', owner, (t) => t.add(hook, host, callback, priority, owner));
}

export function deleteHook(owner: Process, hook: string, host: string, callback: HookCallback): Promise<void> {
  return updateTable<HookTable, void>('hooks', owner, (t) => t.delete(hook, host, callback));
}
