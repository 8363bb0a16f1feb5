/**
 * `npm run bench:cpu`: the server CPU time one login and one chat message cost, Troupe against
 * ejabberd (when installed; needs root, as `npm run bench`), under the same raw-socket load:
 * the kit's strict login (PLAIN, no TLS) for every user right after a restart (cold: nothing
 * cached, code not yet optimised), the same logins again (warm), then chat at a fixed offered
 * rate between random users. CPU is the server process's user + system time from /proc, so,
 * unlike latency, it hardly depends on what else the machine runs.
 *
 * Options: --users N (default 1000), --rate N msgs/s (2000), --seconds N (10).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { kitDir, repoRoot } from './kit.js';
import { listenerPid, settle, sleep } from './process.js';
import { DOMAIN, EPMD_PORT, Fleet, ejabberdInstalled, stopFleet, type Server } from './servers.js';
import { inBatches, offerChat, rawLogin, rawRegister, type RawClient } from './raw_client.js';
import type { ServerName } from './options.js';

const { values } = parseArgs({ options: { users: { type: 'string', default: '1000' }, rate: { type: 'string', default: '2000' }, seconds: { type: 'string', default: '10' } } });
const USERS = Number(values.users);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const BATCH = 50;

/** User + system CPU of a process so far, in ms (/proc/PID/stat fields 14 and 15, in clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const password = (i: number): string => `cpu-${i}`;
const loginAll = (s: Server): Promise<RawClient[]> => inBatches(USERS, BATCH, (i) => rawLogin(s.port, DOMAIN, `cu${i}`, password(i)));

async function closeAll(s: Server, clients: RawClient[]): Promise<void> {
  for (const c of clients) c.socket.destroy();
  await settle(s.pid);
}

/** CPU ms per operation of `run` on the server, the server quiet before and after. */
async function perOp<T>(s: Server, ops: number, run: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const before = cpuMs(s.pid);
  const result = await run();
  await sleep(300); // the server's last writes of the run
  return { ms: (cpuMs(s.pid) - before) / ops, result };
}

interface Figures {
  coldLogin: number;
  warmLogin: number;
  message: number;
  delivered: number;
  p50: number;
  p99: number;
}

async function measure(fleet: Fleet, name: ServerName): Promise<Figures> {
  const registering = await fleet.start(name);
  await inBatches(USERS, BATCH, (i) => rawRegister(registering.port, DOMAIN, `cu${i}`, password(i)));
  const s = await fleet.start(name); // restarted: the first logins are cold
  await settle(s.pid);
  const cold = await perOp(s, USERS, () => loginAll(s));
  await closeAll(s, cold.result);
  const warm = await perOp(s, USERS, () => loginAll(s));
  await sleep(1000);
  const chat = await perOp(s, RATE * SECONDS, () => offerChat(warm.result, RATE, SECONDS, () => `cu${Math.floor(Math.random() * USERS)}@${DOMAIN}`));
  await closeAll(s, warm.result);
  const r = chat.result;
  console.log(`${name}: cold login ${cold.ms.toFixed(2)} ms, warm ${warm.ms.toFixed(2)} ms, message ${(chat.ms * 1000).toFixed(0)} µs (${r.received}/${r.sent} delivered, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms)`);
  return { coldLogin: cold.ms, warmLogin: warm.ms, message: chat.ms * 1000, delivered: r.received / r.sent, p50: r.p50, p99: r.p99 };
}

async function main(): Promise<void> {
  const root = repoRoot();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'troupe-cpu-'));
  const fleet = new Fleet(root, kitDir(root), tmp);
  const epmdWasRunning = listenerPid(EPMD_PORT) !== undefined;
  const names: ServerName[] = ejabberdInstalled() && process.getuid?.() === 0 ? ['ejabberd', 'troupe'] : ['troupe'];
  const load0 = os.loadavg()[0]!;
  const figures = new Map<ServerName, Figures>();
  try {
    for (const name of names) {
      figures.set(name, await measure(fleet, name));
      await fleet.stopAll();
    }
  } finally {
    await stopFleet(fleet, epmdWasRunning, tmp);
    rmSync(tmp, { recursive: true, force: true });
  }
  const t = figures.get('troupe')!;
  const e = figures.get('ejabberd');
  const cell = (f: (x: Figures) => number, digits: number) => `| ${f(t).toFixed(digits)} | ${e ? f(e).toFixed(digits) : '-'} | ${e ? (f(t) / f(e)).toFixed(2) : '-'} |`;
  console.log(`\n${new Date().toISOString().slice(0, 16)} UTC, ${USERS} users, chat ${RATE} msgs/s offered for ${SECONDS} s, load average ${load0.toFixed(1)} before, ${os.loadavg()[0]!.toFixed(1)} after\n`);
  console.log('| server CPU | troupe | ejabberd | troupe/ejabberd |\n|---|--:|--:|--:|');
  console.log(`| ms per login, cold (first after a restart) ${cell((x) => x.coldLogin, 2)}`);
  console.log(`| ms per login, warm ${cell((x) => x.warmLogin, 2)}`);
  console.log(`| µs per chat message ${cell((x) => x.message, 0)}`);
  console.log(`| chat: delivered % ${cell((x) => 100 * x.delivered, 1)}`);
  console.log(`| chat: latency p50 ms ${cell((x) => x.p50, 1)}`);
  console.log(`| chat: latency p99 ms ${cell((x) => x.p99, 1)}`);
  if (!e) console.log('\n(ejabberd not measured: not installed, or not root)');
}

await main();
