/**
 * Login failure back-off per address: past `limits.max_auth_failures` failures within ten
 * minutes, each further failure answer is delayed twice as long (0.1 s, 0.2 s, … up to 5 s),
 * so guessing passwords gets slow while a mistyped password costs nothing.
 */
import NodeCache from 'node-cache';

const failures = new NodeCache({ stdTTL: 600, checkperiod: 300, useClones: false, maxKeys: 100_000 });

/** Records one failure from `ip`; returns how many it has made recently. */
export function recordAuthFailure(ip: string): number {
  const count = (failures.get<number>(ip) ?? 0) + 1;
  try {
    failures.set(ip, count);
  } catch {
    // maxKeys reached (a distributed attack): the delay still applies to this attempt.
  }
  return count;
}

export function authFailureDelay(count: number, free: number): number {
  return count <= free ? 0 : Math.min(5000, 100 * 2 ** (count - free - 1));
}
