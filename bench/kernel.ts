/**
 * Kernel micro-benchmark (`npm run bench:kernel`): casts/s, call round trips/s, spawn+exit/s,
 * bytes per idle process, and the time to remove 10,000 simple_one_for_one children.
 * Targets (issue 2, 2 cores): ≥ 1M casts/s, ≥ 500k calls/s, ≤ 1 KB per idle process, < 100 ms.
 */
import { start, noreply, reply, stopServer, type GenServer } from '../supervision/gen_server.js';
import { countChildren, startChild, startSupervisor, terminateChild } from '../supervision/supervisor.js';
import type { Process } from '../supervision/process.js';

interface Counter { n: number; target: number; done: () => void }

const counter: GenServer<Counter, Counter> = {
  init: (args) => args,
  handleCast(_msg, state) {
    if (++state.n === state.target) state.done();
    return noreply(state);
  },
  handleCall(_req, _from, state) {
    return reply(++state.n, state);
  },
};

const idle: GenServer<null> = { init: () => null };

async function calls(n: number, concurrency: number): Promise<number> {
  const pid = await start(counter, { n: 0, target: -1, done: () => undefined });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < n / concurrency; i++) await pid.call(i);
    }),
  );
  const s = (performance.now() - t0) / 1000;
  await stopServer(pid);
  return n / s;
}

async function spawnExit(n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await stopServer(await start(idle, undefined));
  return n / ((performance.now() - t0) / 1000);
}

async function bytesPerIdle(n: number): Promise<number> {
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  const pids: Process[] = [];
  for (let i = 0; i < n; i++) pids.push(await start(idle, undefined));
  global.gc?.();
  const per = (process.memoryUsage().heapUsed - before) / n;
  await Promise.all(pids.map((p) => stopServer(p)));
  return per;
}

/** 10,000 connection-like children exit on their own; time until the supervisor has removed them all. */
async function sofoRemoval(n: number): Promise<{ selfExit: number; terminate: number }> {
  const sup = await startSupervisor({
    name: 'bench_sofo',
    flags: { strategy: 'simple_one_for_one' },
    children: [{ id: 'conn', restart: 'temporary', start: (parent) => start(idle, undefined, { link: parent, trapExit: true }) }],
  });
  const spawn = async (): Promise<Process[]> => {
    const children: Process[] = [];
    for (let i = 0; i < n; i++) children.push(await startChild(sup, []));
    return children;
  };
  let children = await spawn();
  let t0 = performance.now();
  await Promise.all(children.map((c) => stopServer(c)));
  while ((await countChildren(sup)).active > 0) await new Promise((r) => setImmediate(r));
  const selfExit = performance.now() - t0;
  children = await spawn();
  t0 = performance.now();
  await Promise.all(children.map((c) => terminateChild(sup, c)));
  const terminate = performance.now() - t0;
  await stopServer(sup);
  return { selfExit, terminate };
}

/** Casts in bursts of 100,000 (a mailbox that deep already means trouble), yielding between. */
async function casts(n: number): Promise<number> {
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const pid = await start(counter, { n: 0, target: n, done });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    pid.cast(i);
    if (i % 100_000 === 99_999) await new Promise((r) => setImmediate(r));
  }
  await finished;
  const s = (performance.now() - t0) / 1000;
  await stopServer(pid);
  return n / s;
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
console.log(`casts/s            ${fmt(await casts(2_000_000))}   (target ≥ 1,000,000)`);
console.log(`calls/s            ${fmt(await calls(1_000_000, 100))}   (target ≥ 500,000; 100 concurrent callers)`);
console.log(`calls/s sequential ${fmt(await calls(200_000, 1))}`);
console.log(`spawn+exit/s       ${fmt(await spawnExit(100_000))}`);
console.log(`bytes/idle process ${fmt(await bytesPerIdle(100_000))}   (target ≤ 1,024${global.gc ? '' : '; run node with --expose-gc for a steadier figure'})`);
const sofo = await sofoRemoval(10_000);
console.log(`sofo 10,000 exit   ${sofo.selfExit.toFixed(1)} ms until all removed   (target < 100 ms)`);
console.log(`sofo 10,000 terminateChild ${sofo.terminate.toFixed(1)} ms (one call each, shutdown 5000)`);
