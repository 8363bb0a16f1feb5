/**
 * Chaos under load (issue #8 item 3), shared by `npm run chaos` (bench/chaos.ts) and the short
 * e2e test: users chat and edit their rosters while a driver crashes random actors of the live
 * tree (router, sm, hooks, modules, connections, and whatever else runs, e.g. MUC rooms) with
 * `crash` on the control socket. At the end it checks that every message the server
 * acknowledged reached its recipient or offline storage, every acknowledged roster write is
 * stored, only crashed connections dropped, and the supervisors restarted exactly what was
 * crashed without escalating.
 */
import type { RosterListItem, TreeNode } from '../../src/control/protocol.js';
import { controlRequest, type TestServer } from './server.js';
import { ChaosUser, MESSAGE_ID, newLedger, type MessageLedger } from './chaos_client.js';
import { crashTargets, treeViolations, type Target } from './chaos_tree.js';
import { iq, NS_ROSTER } from './im.js';
import { connect, xml } from './xmpp.js';

export interface ChaosOptions {
  users: number;
  durationMs: number;
  /** Each user sends a message about this often (randomised ±50 %). */
  messageEveryMs: number;
  /** Each user edits its roster about this often. */
  rosterEveryMs: number;
  /**
   * One crash about this often. The default intensity is 10 restarts in 1 s per supervisor:
   * crashes at least 250 ms apart keep any supervisor under it.
   */
  crashEveryMs: number;
  seed: number;
}

export interface ChaosReport {
  users: number;
  seconds: number;
  crashes: number;
  crashesByTarget: Record<string, number>;
  messagesSent: number;
  messagesAcked: number;
  deliveredLive: number;
  deliveredOffline: number;
  bounced: number;
  duplicates: number;
  /** Errors by condition: item-not-found (a remove of a removed item), service-unavailable (mod_roster restarting), … */
  rosterWrites: { acked: number; errors: Record<string, number>; unanswered: number; checked: number };
  /** Each a sentence naming what broke; empty when every invariant held. */
  lost: string[];
  disconnects: string[];
  tree: string[];
}

/** mulberry32: the same seed, the same run of choices. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function control<T>(server: TestServer, cmd: string, ...args: string[]): Promise<T> {
  const answer = await controlRequest(server.socketPath, cmd, args);
  if (!answer.ok) throw new Error(`${cmd} ${args.join(' ')}: ${answer.error}`);
  return answer.result as T;
}

const tree = (server: TestServer): Promise<TreeNode> => control<TreeNode>(server, 'tree');

/** Runs the whole scenario on a started server; never throws for a broken invariant, reports it. */
export async function runChaos(server: TestServer, o: ChaosOptions): Promise<ChaosReport> {
  const random = seeded(o.seed);
  const names = Array.from({ length: o.users }, (_, i) => `chaos${i}`);
  // On the control socket: a troupectl process per account would take longer than the run.
  await Promise.all(names.map((n) => control(server, 'register', n, 'localhost', `${n}-pw`)));
  const ledger = newLedger();
  const users = names.map((n) => new ChaosUser(n, server.ports.c2s_tls, ledger, random));
  for (let i = 0; i < users.length; i += 20) await Promise.all(users.slice(i, i + 20).map((u) => u.login()));
  const before = await tree(server);

  const started = Date.now();
  const running = (): boolean => Date.now() - started < o.durationMs;
  const crashed = new Map<string, number>();
  const crashedIds: string[] = [];
  const byName = new Map(users.map((u) => [u.name, u]));
  const loops = [
    ...users.map((u) => every(o.messageEveryMs, random, running, () => u.chat(names[Math.floor(random() * names.length)] as string))),
    ...users.map((u) => every(o.rosterEveryMs, random, running, () => u.editRoster())),
    every(o.crashEveryMs, random, running, async () => {
      const target = pick(crashTargets(await tree(server)), crashedIds.length % 2 === 0, random);
      if (!target || !(await crash(server, target, byName))) return;
      crashedIds.push(target.id);
      if (!target.user) crashed.set(target.path, (crashed.get(target.path) ?? 0) + 1);
    }),
  ];
  await Promise.all(loops);
  // Let acks, answers and reconnections settle (a client asks for an ack 50 ms after it last sent).
  await sleep(3000);
  const after = await tree(server);
  const disconnects = users.flatMap((u) => u.unexpectedDrops.map((why) => `${u.name} dropped without a crash: ${why}`));
  await Promise.all(users.map((u) => u.close()));
  await sleep(500);

  const offline = await collectOffline(server, names);
  const report = checkMessages(ledger, offline);
  const rosterLost: string[] = [];
  let checked = 0;
  for (const u of users) {
    const stored = new Map((await control<RosterListItem[]>(server, 'roster-list', u.name, 'localhost')).map((i) => [i.jid, i.name]));
    for (const [jid, name] of u.expectedRoster()) {
      checked++;
      if (name === null && stored.has(jid)) rosterLost.push(`${u.name}: ${jid} removed (acknowledged) but still stored`);
      if (name !== null && stored.get(jid) !== name) rosterLost.push(`${u.name}: ${jid} acknowledged as '${name}', stored ${stored.has(jid) ? `'${stored.get(jid)}'` : 'nothing'}`);
    }
  }
  const ops = users.flatMap((u) => u.roster);
  return {
    users: o.users,
    seconds: Math.round(o.durationMs / 1000),
    crashes: crashedIds.length,
    crashesByTarget: countBy(crashedIds),
    ...report,
    rosterWrites: {
      acked: ops.filter((op) => op.outcome === 'result').length,
      errors: countBy(ops.flatMap((op) => (op.condition ? [op.condition] : []))),
      unanswered: ops.filter((op) => op.outcome === 'unanswered').length,
      checked,
    },
    lost: [...report.lost, ...rosterLost],
    disconnects,
    tree: treeViolations(before, after, crashed),
  };
}

function countBy(keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of keys) out[key] = (out[key] ?? 0) + 1;
  return out;
}

/** Calls `act` about every `ms` (±50 %) while `running()`; one call at a time. */
async function every(ms: number, random: () => number, running: () => boolean, act: () => Promise<unknown>): Promise<void> {
  await sleep(random() * ms);
  while (running()) {
    await act().catch(() => undefined);
    await sleep(ms * (0.5 + random()));
  }
}

/** Crashes alternate between a connection and one of the other actors (a random one of each kind). */
function pick(targets: Target[], connection: boolean, random: () => number): Target | undefined {
  const connections = targets.filter((t) => t.user);
  const actors = targets.filter((t) => !t.user);
  const pool = connections.length > 0 && (connection || actors.length === 0) ? connections : actors;
  return pool[Math.floor(random() * pool.length)];
}

async function crash(server: TestServer, target: Target, users: Map<string, ChaosUser>): Promise<boolean> {
  const user = target.user ? users.get(target.user) : undefined;
  if (target.user && !user?.online) return false; // a connection of the run that is not between sessions
  if (user) user.expectedDrops++;
  const answer = await controlRequest(server.socketPath, 'crash', [target.pid]);
  if (!answer.ok && user) user.expectedDrops--;
  user?.events.push(`crash ${target.pid} ${answer.ok ? 'ok' : answer.error} ${user.at()}`);
  return answer.ok;
}

/** Logs every user in once more and takes what offline storage hands over (ids of the run's messages). */
async function collectOffline(server: TestServer, names: string[]): Promise<Map<string, number>> {
  const offline = new Map<string, number>();
  for (let i = 0; i < names.length; i += 20) {
    await Promise.all(names.slice(i, i + 20).map(async (name) => {
      const c = await connect({ port: server.ports.c2s_tls, scheme: 'xmpps', username: name, password: `${name}-pw`, resource: 'check' });
      await c.xmpp.send(xml('presence'));
      // The roster result is queued behind the offline messages, which were handed to this
      // session while its presence was handled: once it is here, all of them are.
      await iq(c, 'get', xml('query', { xmlns: NS_ROSTER }), undefined, 10_000);
      for (const el of c.received) {
        const id = el.attrs.id ?? '';
        if (el.is('message') && MESSAGE_ID.test(id) && el.attrs.type !== 'error') offline.set(id, (offline.get(id) ?? 0) + 1);
      }
      await c.stop();
    }));
  }
  return offline;
}

function checkMessages(ledger: MessageLedger, offline: Map<string, number>): Pick<ChaosReport, 'messagesSent' | 'messagesAcked' | 'deliveredLive' | 'deliveredOffline' | 'bounced' | 'duplicates' | 'lost'> {
  const lost: string[] = [];
  let deliveredOffline = 0;
  for (const id of ledger.acked) {
    if (ledger.delivered.has(id)) continue;
    if (offline.has(id)) deliveredOffline++;
    else if (!ledger.bounced.has(id)) lost.push(`message ${id} to ${ledger.sent.get(id)} acknowledged, neither delivered nor stored offline`);
  }
  // At least once, not exactly once: a message written to a connection that crashed before its
  // client acked it is rerouted (XEP-0198 §5), so the client may see it again.
  let duplicates = 0;
  for (const id of ledger.acked) duplicates += Math.max(0, (ledger.delivered.get(id) ?? 0) + (offline.get(id) ?? 0) - 1);
  return {
    messagesSent: ledger.sent.size,
    messagesAcked: ledger.acked.size,
    deliveredLive: [...ledger.acked].filter((id) => ledger.delivered.has(id)).length,
    deliveredOffline,
    bounced: [...ledger.acked].filter((id) => ledger.bounced.has(id)).length,
    duplicates,
    lost,
  };
}
