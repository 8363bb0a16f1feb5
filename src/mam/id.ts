/**
 * Archive ids (XEP-0313 §3 "a server-assigned UID that MUST be unpredictable and unique within
 * the archive", also the XEP-0359 stanza-id): the receive time in microseconds since the epoch,
 * 16 zero-padded digits, then 6 random base32 characters. The fixed-width time prefix makes
 * string order time order, so a LevelDB range over ids is a time range and `start`/`end`
 * filters are key bounds; the random tail keeps ids unguessable (XEP-0359 §4 rule 2).
 */
import { randomBytes } from 'node:crypto';

/** Digits of an id's time part. */
export const TIME_DIGITS = 16;
const TAIL = 6;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const ID = /^\d{16}[a-z2-7]{6}$/;

/** True for strings shaped like the ids this server hands out. */
export const isArchiveId = (s: string): boolean => ID.test(s);

/** The key bound for time `us`: every id received at or after `us` sorts at or after it. */
export const timeKey = (us: number): string => String(Math.max(0, Math.floor(us))).padStart(TIME_DIGITS, '0');

/** The receive time of an id, in microseconds. */
export const idTime = (id: string): number => Number(id.slice(0, TIME_DIGITS));

/** XEP-0082 DateTime with microseconds: `2024-05-01T10:00:00.123456Z`. */
export function stampOf(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  return `${iso.slice(0, -1)}${String(us % 1000).padStart(3, '0')}Z`;
}

let pool = Buffer.alloc(0);
let offset = 0;
/** The random part of a new id. */
export function idTail(): string {
  if (offset + TAIL > pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  let tail = '';
  for (let i = 0; i < TAIL; i++) tail += BASE32[(pool[offset++] as number) & 31];
  return tail;
}

/** A new id for time `us`. */
export const archiveId = (us: number): string => timeKey(us) + idTail();

/** Microsecond timestamps that only grow, even within one millisecond or if the wall clock steps back. */
export class MonotonicClock {
  private last = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** A time after every earlier result and after `floor` (the newest id already in an archive). */
  next(floor = 0): number {
    const t = Math.max(this.now() * 1000, this.last + 1, floor + 1);
    this.last = t;
    return t;
  }
}

/**
 * XEP-0082 DateTime (`CCYY-MM-DDThh:mm:ss[.s+]TZD`) to microseconds since the epoch, or null
 * when it is not one.
 */
export function parseDateTime(s: string): number | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s.trim());
  if (!m) return null;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return null;
  return ms * 1000 + Number((m[2] ?? '').padEnd(6, '0').slice(0, 6));
}
