/**
 * Child specifications (OTP `supervisor:child_spec()`), plain data with OTP's defaults:
 * restart permanent; shutdown 5000 ms for workers, infinity for supervisors.
 */
import type { Process } from './process.js';

export type Restart = 'permanent' | 'transient' | 'temporary';
export type Shutdown = number | 'brutal_kill' | 'infinity';
export type ChildType = 'worker' | 'supervisor';
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one';

export interface ChildSpec {
  id: string;
  /** Starts the child linked to `parent` (start_link); for simple_one_for_one, `args` come from startChild. */
  start: (parent: Process, ...args: any[]) => Promise<Process>;
  restart?: Restart;
  shutdown?: Shutdown;
  type?: ChildType;
}

export type ValidChildSpec = Required<ChildSpec>;

export interface SupFlags {
  strategy: Strategy;
  /** More than `intensity` restarts within `period` seconds: the supervisor gives up and escalates. */
  intensity?: number;
  period?: number;
}

const RESTARTS: readonly Restart[] = ['permanent', 'transient', 'temporary'];
const TYPES: readonly ChildType[] = ['worker', 'supervisor'];
const STRATEGIES: readonly Strategy[] = ['one_for_one', 'one_for_all', 'rest_for_one', 'simple_one_for_one'];

function bad(id: unknown, field: string, expected: string, got: unknown): Error {
  return new Error(`invalid child spec ${JSON.stringify(id)}: ${field} must be ${expected}, got ${JSON.stringify(got) ?? String(got)}`);
}

/** Validates and fills in defaults; a bad spec fails with a message naming the field. */
export function validateChildSpec(spec: ChildSpec): ValidChildSpec {
  const s = spec as Partial<ChildSpec> | null;
  if (typeof s !== 'object' || s === null) throw new Error(`invalid child spec: expected an object, got ${String(s)}`);
  if (typeof s.id !== 'string' || s.id === '') throw bad(s.id, 'id', 'a non-empty string', s.id);
  if (typeof s.start !== 'function') throw bad(s.id, 'start', 'a function', s.start);
  const restart = s.restart ?? 'permanent';
  if (!RESTARTS.includes(restart)) throw bad(s.id, 'restart', RESTARTS.join('|'), restart);
  const type = s.type ?? 'worker';
  if (!TYPES.includes(type)) throw bad(s.id, 'type', TYPES.join('|'), type);
  const shutdown = s.shutdown ?? (type === 'supervisor' ? 'infinity' : 5000);
  const shutdownOk = shutdown === 'brutal_kill' || shutdown === 'infinity' || (Number.isInteger(shutdown) && (shutdown as number) >= 0);
  if (!shutdownOk) throw bad(s.id, 'shutdown', "a non-negative integer (ms), 'brutal_kill' or 'infinity'", shutdown);
  return { id: s.id, start: s.start, restart, shutdown, type };
}

export function validateFlags(flags: SupFlags): Required<SupFlags> {
  if (!STRATEGIES.includes(flags.strategy)) {
    throw new Error(`invalid supervisor flags: strategy must be ${STRATEGIES.join('|')}, got ${JSON.stringify(flags.strategy)}`);
  }
  const intensity = flags.intensity ?? 1;
  const period = flags.period ?? 5;
  if (!Number.isInteger(intensity) || intensity < 0) throw new Error(`invalid supervisor flags: intensity must be a non-negative integer, got ${intensity}`);
  if (!(period > 0)) throw new Error(`invalid supervisor flags: period must be a positive number of seconds, got ${period}`);
  return { strategy: flags.strategy, intensity, period };
}

/** OTP's restart rule: permanent always, transient unless the exit was orderly, temporary never. */
export function shouldRestart(restart: Restart, orderly: boolean): boolean {
  return restart === 'permanent' || (restart === 'transient' && !orderly);
}
