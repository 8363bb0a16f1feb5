/**
 * The name registry (`erlang:register/2`, `whereis/1`): callers address `router`, `sm` and
 * `hooks` by name and so reach the restarted process after a crash.
 */
import type { Process } from './process.js';

const names = new Map<string, Process>();

/** Fails like `badarg` when the name is taken or the process is not alive. */
export function register(name: string, pid: Process): void {
  if (names.has(name)) throw new Error(`badarg: name '${name}' is already registered to ${names.get(name)}`);
  if (!pid.alive) throw new Error(`badarg: cannot register '${name}' to dead process ${pid}`);
  if (pid.name) throw new Error(`badarg: ${pid} is already registered as '${pid.name}'`);
  names.set(name, pid);
  pid.name = name;
}

export function unregister(name: string): void {
  const pid = names.get(name);
  if (!pid) return;
  names.delete(name);
  pid.name = null;
}

/** A dead process loses its name; it keeps `pid.name` so logs can still say who it was. */
export function release(pid: Process): void {
  if (pid.name && names.get(pid.name) === pid) names.delete(pid.name);
}

export function whereis(name: string): Process | undefined {
  return names.get(name);
}

export function registered(): string[] {
  return [...names.keys()];
}
