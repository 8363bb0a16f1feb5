// `troupectl reload` (ARCHITECTURE.md §8): what changed between the running configuration and
// the file as it is now, split into what the node applies live and what waits for a restart.
// Pure but for applyLiveKeys (data only); actors/control_reload.ts acts on the result.
import { isDeepStrictEqual } from 'node:util';
import type { Config } from './schema.js';

/** One changed key, as a dotted path (`limits.max_stanza_size`); `undefined` = not set. */
export interface ConfigChange {
  key: string;
  from?: unknown;
  to?: unknown;
}

export interface ConfigDiff {
  applied: ConfigChange[];
  needsRestart: ConfigChange[];
}

/**
 * Keys (and everything under them) that are read where they are used, so a new value takes
 * effect at the next use: the log level, limits (each new connection's parser, timers and
 * back-off), in-band registration, stream management of new sessions, and modules (restarted
 * with their new options). Everything else (hosts, listeners, TLS, auth, data_dir, shutdown
 * timeout) is wired into the tree at start and needs a restart.
 */
export const LIVE_KEYS: readonly string[] = ['loglevel', 'limits', 'shaper', 'registration', 'c2s.stream_management', 'modules'];

export const isLive = (key: string): boolean => LIVE_KEYS.some((k) => key === k || key.startsWith(`${k}.`));

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every leaf that differs; objects are walked, anything else (lists, null, scalars) compared whole. */
export function changedKeys(from: unknown, to: unknown, prefix = ''): ConfigChange[] {
  if (isPlainObject(from) && isPlainObject(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    return keys.flatMap((k) => changedKeys(from[k], to[k], prefix ? `${prefix}.${k}` : k));
  }
  if (isDeepStrictEqual(from, to)) return [];
  const change: ConfigChange = { key: prefix };
  if (from !== undefined) change.from = from;
  if (to !== undefined) change.to = to;
  return [change];
}

/** Compares two validated configurations (as `loadConfig` returns them). */
export function diffConfig(running: Config, next: Config): ConfigDiff {
  const changes = changedKeys(running, next);
  return { applied: changes.filter((c) => isLive(c.key)), needsRestart: changes.filter((c) => !isLive(c.key)) };
}

/**
 * Copies the live keys of `next` into `running`, in place (objects too: whoever holds
 * `running.limits` sees the new limits); the keys needing a restart keep describing what
 * actually runs until then. The one mutation here, of data only: kept beside {@link LIVE_KEYS}.
 */
export function applyLiveKeys(running: Config, next: Config): void {
  running.loglevel = next.loglevel;
  Object.assign(running.limits, next.limits);
  running.shaper = next.shaper;
  running.registration = next.registration;
  Object.assign(running.c2s.stream_management, next.c2s.stream_management);
  running.modules = next.modules;
}

/** `limits.max_stanza_size: 262144 → 1000`; unset values read `(unset)`. */
export function formatChange(c: ConfigChange): string {
  const show = (v: unknown): string => (v === undefined ? '(unset)' : JSON.stringify(v));
  return `${c.key}: ${show(c.from)} → ${show(c.to)}`;
}
