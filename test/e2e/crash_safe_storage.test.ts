/**
 * Crash-safe storage (issue #8 item 4): two users write rosters, chat with each other (both
 * archives, MAM) and with a user who never logs in (offline storage), and a room owner rewrites
 * the configuration of a persistent MUC room, while the node is killed with SIGKILL, 20 times
 * in a row on the same data dir. After each kill LevelDB opens, the node boots again, every
 * write the server acknowledged is stored, and the related keys agree: roster items never
 * carry a version above the user's, versions never go back, offline queues and archives hold
 * whole entries in order and keep what they had, the room's stored configuration is whole and
 * at least as new as the last one acknowledged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controlRequest, startServer, type TestServer } from '../support/server.js';
import { ChaosUser, newLedger, type MessageLedger } from '../support/chaos_client.js';
import { seeded } from '../support/chaos.js';
import { progressProblems, readSnapshot, snapshotProblems, storedBodies, type Snapshot } from '../support/store_check.js';
import { login, settle } from '../support/im.js';
import { configure, createRoom, joined, SERVICE } from '../support/muc.js';
import type { TestClient } from '../support/xmpp.js';

const KILLS = 20;
const WRITERS = ['w1', 'w2'];
/** Registered, never online: every message to it goes to offline storage. */
const AWAY = 'away';
/** Owns the persistent room ROOM and renames it (`t<n>`, n growing) in a loop. */
const OWNER = 'owner';
const ROOM = 'vault';

/** The owner's room writes: `acked` is the highest `n` whose configuration got its result. */
interface RoomLedger {
  next: number;
  acked: number;
}

/** Renames the room again and again (one configuration form at a time) until stopped. */
async function configureRoom(owner: TestClient, ledger: RoomLedger, stopped: () => boolean): Promise<void> {
  while (!stopped()) {
    const n = ledger.next++;
    const answer = await configure(owner, ROOM, { 'muc#roomconfig_roomname': `t${n}` }).catch(() => null);
    if (answer?.attrs.type === 'result') ledger.acked = Math.max(ledger.acked, n);
    else return; // the node is gone
  }
}

/** The stored room is whole, persistent, and carries the last acknowledged title or a later one. */
function roomProblems(ledger: RoomLedger, s: Snapshot): string[] {
  const stored = s.mucRooms.get(`${SERVICE}\0${ROOM}`) as { config?: { title?: unknown; persistent?: unknown } } | undefined;
  if (!stored) return [`room ${ROOM}: acknowledged as persistent, not stored`];
  const title = stored.config?.title;
  const n = typeof title === 'string' && /^t\d+$/.test(title) ? Number(title.slice(1)) : NaN;
  if (stored.config?.persistent !== true) return [`room ${ROOM}: stored without persistent: ${JSON.stringify(stored)}`];
  return n >= ledger.acked || (ledger.acked < 0 && title === '') ? [] : [`room ${ROOM}: stored title ${String(title)}, t${ledger.acked} was acknowledged`];
}

/** Every few tens of ms a message (to the other writer or to AWAY) or a roster write, until stopped. */
async function write(user: ChaosUser, other: string, random: () => number, stopped: () => boolean): Promise<void> {
  while (!stopped()) {
    const r = random();
    if (r < 0.3) await user.chat(other);
    else if (r < 0.6) await user.chat(AWAY);
    else void user.editRoster(); // one in flight at a time; it skips while one is pending
    await settle(10 + random() * 40);
  }
}

/** Messages acknowledged by the server that are not where they belong: the recipient's offline queue, or both archives. */
function missingMessages(ledger: MessageLedger, s: Snapshot): string[] {
  const missing: string[] = [];
  for (const id of ledger.acked) {
    const to = ledger.sent.get(id) as string;
    const from = id.split('-')[1] as string;
    if (to === AWAY) {
      if (!storedBodies(s.offline, AWAY).has(id)) missing.push(`${id} acknowledged, not in ${AWAY}'s offline queue`);
    } else {
      for (const owner of [from, to]) if (!storedBodies(s.mam, owner).has(id)) missing.push(`${id} acknowledged, not in ${owner}'s archive`);
    }
  }
  return missing;
}

function missingRosterWrites(users: ChaosUser[], s: Snapshot): string[] {
  const missing: string[] = [];
  for (const u of users) {
    const stored = s.roster.get(u.name) ?? new Map();
    for (const [jid, name] of u.expectedRoster()) {
      if (name === null ? stored.has(jid) : stored.get(jid)?.name !== name) missing.push(`${u.name}: ${jid} acknowledged as ${name ?? 'removed'}, stored ${JSON.stringify(stored.get(jid) ?? null)}`);
    }
  }
  return missing;
}

async function registerAll(server: TestServer): Promise<void> {
  for (const name of [...WRITERS, AWAY, OWNER]) {
    const answer = await controlRequest(server.socketPath, 'register', [name, 'localhost', `${name}-pw`]);
    assert.ok(answer.ok, JSON.stringify(answer));
  }
}

test(`kill -9 during mixed writes, ${KILLS} times: LevelDB opens, acknowledged writes are stored, related keys agree`, { timeout: 300_000 }, async () => {
  const random = seeded(4);
  let server = await startServer();
  const dir = server.dir;
  await registerAll(server);
  const owner0 = await login(server, OWNER, 'setup');
  await createRoom(owner0, ROOM, 'owner', { 'muc#roomconfig_persistentroom': '1' });
  await owner0.xmpp.stop();
  const room: RoomLedger = { next: 0, acked: -1 };
  let previous: Snapshot | null = null;
  const totals = { messages: 0, rosterWrites: 0, roomWrites: 0 };
  for (let kill = 1; kill <= KILLS; kill++) {
    const ledger = newLedger();
    const users = WRITERS.map((n) => new ChaosUser(n, server.ports.c2s_tls, ledger, random));
    await Promise.all(users.map((u) => u.login()));
    const owner = await login(server, OWNER, `k${kill}`);
    await joined(owner, ROOM, `o${kill}`); // the stored room is loaded on demand
    const ackedBefore = room.acked;
    let stopped = false;
    const writers = [
      ...users.map((u, i) => write(u, WRITERS[1 - i] as string, random, () => stopped)),
      configureRoom(owner, room, () => stopped),
    ];
    await settle(300 + random() * 500);
    await server.kill9();
    stopped = true;
    await Promise.all(writers);
    await Promise.all(users.map((u) => u.close()));
    await owner.xmpp.stop().catch(() => undefined);

    const snapshot = await readSnapshot(dir);
    const problems: string[] = [
      ...snapshotProblems(snapshot),
      ...(previous ? progressProblems(previous, snapshot) : []),
      ...missingMessages(ledger, snapshot),
      ...missingRosterWrites(users, snapshot),
      ...roomProblems(room, snapshot),
    ];
    assert.deepEqual(problems, [], `after kill ${kill}`);
    totals.messages += ledger.acked.size;
    totals.rosterWrites += users.flatMap((u) => u.roster).filter((op) => op.outcome === 'result').length;
    totals.roomWrites += room.acked - ackedBefore;
    previous = snapshot;
    server = await startServer({ reuseDir: dir }); // boots on what the kill left
  }
  await server.stop();
  assert.ok(totals.messages >= KILLS, `${totals.messages} acknowledged messages checked`);
  assert.ok(totals.rosterWrites >= KILLS, `${totals.rosterWrites} acknowledged roster writes checked`);
  assert.ok(totals.roomWrites >= KILLS, `${totals.roomWrites} acknowledged room configurations checked`);
  const offline = previous?.offline.get(AWAY)?.length ?? 0;
  console.log(`# crash-safe storage: ${KILLS} kills, ${totals.messages} acknowledged messages and ${totals.rosterWrites} roster writes and ${totals.roomWrites} room configurations checked, ${offline} offline messages kept`);
});
