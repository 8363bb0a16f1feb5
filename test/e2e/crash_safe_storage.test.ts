/**
 * Crash-safe storage (issue #8 item 4): two users write rosters, chat with each other (both
 * archives, MAM) and with a user who never logs in (offline storage) while the node is killed
 * with SIGKILL, 20 times in a row on the same data dir. After each kill LevelDB opens, the
 * node boots again, every write the server acknowledged is stored, and the related keys agree:
 * roster items never carry a version above the user's, versions never go back, offline queues
 * and archives hold whole entries in order and keep what they had.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controlRequest, startServer, type TestServer } from '../support/server.js';
import { ChaosUser, newLedger, type MessageLedger } from '../support/chaos_client.js';
import { seeded } from '../support/chaos.js';
import { progressProblems, readSnapshot, snapshotProblems, storedBodies, type Snapshot } from '../support/store_check.js';
import { settle } from '../support/im.js';

const KILLS = 20;
const WRITERS = ['w1', 'w2'];
/** Registered, never online: every message to it goes to offline storage. */
const AWAY = 'away';

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
  for (const name of [...WRITERS, AWAY]) {
    const answer = await controlRequest(server.socketPath, 'register', [name, 'localhost', `${name}-pw`]);
    assert.ok(answer.ok, JSON.stringify(answer));
  }
}

test(`kill -9 during mixed writes, ${KILLS} times: LevelDB opens, acknowledged writes are stored, related keys agree`, { timeout: 300_000 }, async () => {
  const random = seeded(4);
  let server = await startServer();
  const dir = server.dir;
  await registerAll(server);
  let previous: Snapshot | null = null;
  const totals = { messages: 0, rosterWrites: 0 };
  for (let kill = 1; kill <= KILLS; kill++) {
    const ledger = newLedger();
    const users = WRITERS.map((n) => new ChaosUser(n, server.ports.c2s_tls, ledger, random));
    await Promise.all(users.map((u) => u.login()));
    let stopped = false;
    const writers = users.map((u, i) => write(u, WRITERS[1 - i] as string, random, () => stopped));
    await settle(300 + random() * 500);
    await server.kill9();
    stopped = true;
    await Promise.all(writers);
    await Promise.all(users.map((u) => u.close()));

    const snapshot = await readSnapshot(dir);
    const problems: string[] = [
      ...snapshotProblems(snapshot),
      ...(previous ? progressProblems(previous, snapshot) : []),
      ...missingMessages(ledger, snapshot),
      ...missingRosterWrites(users, snapshot),
    ];
    assert.deepEqual(problems, [], `after kill ${kill}`);
    totals.messages += ledger.acked.size;
    totals.rosterWrites += users.flatMap((u) => u.roster).filter((op) => op.outcome === 'result').length;
    previous = snapshot;
    server = await startServer({ reuseDir: dir }); // boots on what the kill left
  }
  await server.stop();
  assert.ok(totals.messages >= KILLS, `${totals.messages} acknowledged messages checked`);
  assert.ok(totals.rosterWrites >= KILLS, `${totals.rosterWrites} acknowledged roster writes checked`);
  const offline = previous?.offline.get(AWAY)?.length ?? 0;
  console.log(`# crash-safe storage: ${KILLS} kills, ${totals.messages} acknowledged messages and ${totals.rosterWrites} roster writes checked, ${offline} offline messages kept`);
});
