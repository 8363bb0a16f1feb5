/**
 * A read-only look at a stopped (or killed) node's LevelDB, and the invariants between related
 * keys that every crash must leave intact (issue #8 item 4). Key layouts as written by
 * actors/modules/mod_roster.level.ts, mod_offline.level.ts and mod_mam.level.ts:
 *   roster          host\0user\0contact → item with `ver`
 *   roster_version  host\0user          → the user's roster version
 *   offline         host\0user\0seq     → {xml, from}; seq only grows per user
 *   offline_count   host\0user          → {n, last}: how many of them, and the last seq
 *   mam             host\0user\0id      → {peer, out, xml}; ids sort by receive time
 *   mam_clock       high_water          → a time (µs) at or after every archive id
 *   muc_room        service\0room       → {config, affiliations, subject} (mod_muc.level.ts)
 */
import { join } from 'node:path';
import { Level } from 'level';
import { parse } from 'ltx';
import { isArchiveId, idTime } from '../../src/mam/id.js';

type Rows = Map<string, [string, unknown][]>;

export interface Snapshot {
  /** user → contact → the item's `ver`. */
  roster: Map<string, Map<string, { ver: number; name?: string }>>;
  rosterVersion: Map<string, number>;
  /** user → [key suffix, value] in key order. */
  offline: Rows;
  /** user → the stored count of its offline messages, and the last seq. */
  offlineCount: Map<string, { n: number; last: number }>;
  mam: Rows;
  /** The archive clock's stored high-water mark (µs), if any. */
  mamMark: number | undefined;
  /** `service\0room` → the stored room, as read. */
  mucRooms: Map<string, unknown>;
}

/** Opens `<dir>/data/db` (which proves LevelDB recovers its log) and reads the tables. */
export async function readSnapshot(dir: string): Promise<Snapshot> {
  const db = new Level<string, unknown>(join(dir, 'data', 'db'), { valueEncoding: 'json' });
  await db.open();
  try {
    const rows = async (name: string): Promise<[string[], unknown][]> =>
      (await db.sublevel<string, unknown>(name, { valueEncoding: 'json' }).iterator().all()).map(([k, v]) => [k.split('\0'), v]);
    const byUser = (entries: [string[], unknown][]): Rows => {
      const out: Rows = new Map();
      for (const [[, user, rest], value] of entries) {
        if (rest === undefined) continue; // MAM preferences live under host\0user
        if (!out.has(user as string)) out.set(user as string, []);
        out.get(user as string)?.push([rest, value]);
      }
      return out;
    };
    const roster: Snapshot['roster'] = new Map();
    for (const [[, user, contact], item] of await rows('roster')) {
      if (!roster.has(user as string)) roster.set(user as string, new Map());
      roster.get(user as string)?.set(contact as string, item as { ver: number; name?: string });
    }
    const rosterVersion = new Map((await rows('roster_version')).map(([[, user], v]) => [user as string, v as number]));
    const offlineCount = new Map((await rows('offline_count')).map(([[, user], v]) => [user as string, v as { n: number; last: number }]));
    const mucRooms = new Map((await rows('muc_room')).map(([parts, v]) => [parts.join('\0'), v]));
    const mamMark = (await rows('mam_clock')).find(([[key]]) => key === 'high_water')?.[1] as number | undefined;
    return { roster, rosterVersion, offline: byUser(await rows('offline')), offlineCount, mam: byUser(await rows('mam')), mamMark, mucRooms };
  } finally {
    await db.close();
  }
}

const wholeXml = (xml: unknown, name: string): boolean => {
  try {
    return typeof xml === 'string' && parse(xml).name === name;
  } catch {
    return false;
  }
};

/** Invariants inside one snapshot; each problem a sentence. */
export function snapshotProblems(s: Snapshot): string[] {
  const problems: string[] = [];
  for (const [user, items] of s.roster) {
    const version = s.rosterVersion.get(user) ?? 0;
    for (const [contact, item] of items) {
      if (!(Number.isInteger(item.ver) && item.ver >= 0 && item.ver <= version)) problems.push(`roster ${user}/${contact}: ver ${item.ver} > stored version ${version}`);
    }
  }
  for (const [user, entries] of s.offline) {
    let last = '';
    for (const [seq, value] of entries) {
      const m = value as { xml?: unknown; from?: unknown };
      if (!/^\d{16}$/.test(seq) || seq <= last) problems.push(`offline ${user}: seq ${seq} after ${last}`);
      if (!wholeXml(m.xml, 'message') || typeof m.from !== 'string') problems.push(`offline ${user}/${seq}: not a whole message`);
      last = seq;
    }
  }
  for (const user of new Set([...s.offline.keys(), ...s.offlineCount.keys()])) {
    const entries = s.offline.get(user) ?? [];
    const count = s.offlineCount.get(user);
    const lastSeq = entries.length ? Number(entries[entries.length - 1]?.[0]) : undefined;
    if ((count?.n ?? 0) !== entries.length) problems.push(`offline ${user}: count ${count?.n} but ${entries.length} messages`);
    if (lastSeq !== undefined && count?.last !== lastSeq) problems.push(`offline ${user}: last seq ${count?.last} but ${lastSeq} stored`);
  }
  for (const [user, entries] of s.mam) {
    let last = -1;
    for (const [id, value] of entries) {
      const e = value as { peer?: unknown; out?: unknown; xml?: unknown };
      if (!isArchiveId(id) || idTime(id) <= last) problems.push(`mam ${user}: id ${id} not after ${last}`);
      // A restart starts the clock above the mark: an id past it could be issued again, or lower.
      if (s.mamMark === undefined || idTime(id) > s.mamMark) problems.push(`mam ${user}: id ${id} above the clock mark ${s.mamMark}`);
      if (!wholeXml(e.xml, 'message') || typeof e.peer !== 'string' || typeof e.out !== 'boolean') problems.push(`mam ${user}/${id}: not a whole entry`);
      last = idTime(id);
    }
  }
  return problems;
}

/**
 * Invariants between two snapshots of the same database, the second taken after more writes
 * and a crash: roster versions never go backwards, offline messages not delivered stay (this
 * run never logs their owner in), the archive only grows and keeps every id.
 */
export function progressProblems(before: Snapshot, after: Snapshot): string[] {
  const problems: string[] = [];
  for (const [user, v] of before.rosterVersion) {
    const now = after.rosterVersion.get(user) ?? 0;
    if (now < v) problems.push(`roster ${user}: version went back from ${v} to ${now}`);
  }
  const kept = (table: 'offline' | 'mam'): void => {
    for (const [user, entries] of before[table]) {
      const now = new Set((after[table].get(user) ?? []).map(([k]) => k));
      const missing = entries.filter(([k]) => !now.has(k)).length;
      if (missing > 0) problems.push(`${table} ${user}: ${missing} entries gone after the crash`);
    }
  };
  kept('offline');
  kept('mam');
  return problems;
}

/** The bodies of a user's stored messages (offline or archived), for "every acknowledged message is stored". */
export function storedBodies(rows: Rows, user: string): Set<string> {
  const out = new Set<string>();
  for (const [, value] of rows.get(user) ?? []) {
    try {
      const body = parse((value as { xml: string }).xml).getChildText('body');
      if (body !== null) out.add(body);
    } catch {
      // a broken entry is reported by snapshotProblems
    }
  }
  return out;
}
