/**
 * `npm run chaos` (issue #8 item 3): 200 users chat and edit their rosters for 60 s on loopback
 * while random actors and connections are crashed, then every invariant is checked
 * (test/support/chaos.ts). Prints the figures for the README's reliability section; exits 1 if
 * anything acknowledged was lost, a connection dropped without a crash, or a supervisor did
 * more or less than restart what was crashed.
 * Options: --users N (200), --seconds S (60), --seed N (1).
 */
import { parseArgs } from 'node:util';
import { startServer } from '../test/support/server.js';
import { runChaos } from '../test/support/chaos.js';

const { values } = parseArgs({
  options: { users: { type: 'string', default: '200' }, seconds: { type: 'string', default: '60' }, seed: { type: 'string', default: '1' } },
});
const users = Number(values.users);
const seconds = Number(values.seconds);

const server = await startServer();
const began = new Date();
try {
  // Per user a message about every 2 s and a roster write every 4 s; a crash every 400 ms
  // keeps each supervisor well under its 10 restarts per second.
  const r = await runChaos(server, { users, durationMs: seconds * 1000, messageEveryMs: 2000, rosterEveryMs: 4000, crashEveryMs: 400, seed: Number(values.seed) });
  const listed = (counts: Record<string, number>): string => Object.entries(counts).sort(([, a], [, b]) => b - a).map(([k, n]) => `${k} ${n}`).join(', ');
  const errors = Object.values(r.rosterWrites.errors).reduce((a, b) => a + b, 0);
  console.log(`chaos run ${began.toISOString().slice(0, 16).replace('T', ' ')} UTC: ${r.users} users, ${r.seconds} s`);
  console.log(`crashes injected: ${r.crashes} (${listed(r.crashesByTarget)})`);
  console.log(`messages: ${r.messagesSent} sent, ${r.messagesAcked} acknowledged; ${r.deliveredLive} delivered live, ${r.deliveredOffline} from offline storage, ${r.bounced} bounced with an error; ${r.duplicates} extra copies (at-least-once after a crash)`);
  console.log(`roster writes: ${r.rosterWrites.acked} acknowledged, ${errors} answered with an error (${listed(r.rosterWrites.errors)}), ${r.rosterWrites.unanswered} unanswered; ${r.rosterWrites.checked} final items checked`);
  console.log(`lost: ${r.lost.length}; unexpected disconnects: ${r.disconnects.length}; supervision problems: ${r.tree.length}`);
  for (const line of [...r.lost, ...r.disconnects, ...r.tree].slice(0, 50)) console.log(`  ${line}`);
  process.exitCode = r.lost.length + r.disconnects.length + r.tree.length > 0 ? 1 : 0;
} finally {
  await server.stop();
}
