/**
 * Chaos under load, the short run (issue #8 item 3; `npm run chaos` is the long one): 30 users
 * chat and edit their rosters for 10 s while random actors and connections are crashed. No
 * acknowledged message or roster write is lost, only crashed connections drop, and each
 * supervisor restarted exactly what was crashed, without escalating.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server.js';
import { runChaos } from '../support/chaos.js';

test('30 users chat and edit rosters for 10 s while actors and connections crash: nothing acknowledged is lost', { timeout: 120_000 }, async () => {
  const server = await startServer();
  try {
    const report = await runChaos(server, { users: 30, durationMs: 10_000, messageEveryMs: 400, rosterEveryMs: 800, crashEveryMs: 300, seed: 8 });
    console.log(`# chaos: ${JSON.stringify(report)}`);
    assert.deepEqual(report.lost, [], 'every acknowledged message and roster write survived');
    assert.deepEqual(report.disconnects, [], 'only crashed connections dropped');
    assert.deepEqual(report.tree, [], 'restarts match the crashes, nothing escalated');
    assert.ok(report.crashes >= 10, `${report.crashes} crashes injected`);
    assert.ok((report.crashesByTarget.c2s ?? 0) >= 3, 'connections were crashed');
    assert.ok(report.messagesAcked >= 200, `${report.messagesAcked} messages acknowledged`);
    assert.ok(report.rosterWrites.checked >= 100, `${report.rosterWrites.checked} roster items checked`);
  } finally {
    await server.stop();
  }
});
