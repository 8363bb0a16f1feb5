import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Process, call, cast, exit, type DownMessage, type ExitMessage } from '../../supervision/process.js';
import { start, noreply, reply, replyTo, stopServer, type GenServer } from '../../supervision/gen_server.js';
import { CallTimeoutError, CalleeExitError, NoProcError } from '../../supervision/exit_reason.js';
import * as registry from '../../supervision/registry.js';
import type { From } from '../../supervision/process.js';
import { startWorker, tick, eventually } from '../support/worker.js';

/** A raw process that records every message it handles. */
function recorder(label: string, handler?: (msg: unknown) => void | Promise<void>): { pid: Process; seen: unknown[] } {
  const pid = new Process(label);
  const seen: unknown[] = [];
  pid.run({
    handle: async (env) => {
      seen.push(env.msg);
      await handler?.(env.msg);
    },
    terminate: () => undefined,
  });
  return { pid, seen };
}

test('mailbox handles one message at a time, in order, across awaits', async () => {
  const trace: string[] = [];
  const { pid } = recorder('ordered', async (msg) => {
    trace.push(`begin ${msg}`);
    await tick(Number(msg) % 2 === 0 ? 5 : 0);
    trace.push(`end ${msg}`);
  });
  for (let i = 0; i < 6; i++) pid.cast(i);
  await eventually(() => trace.length === 12, 'all handled');
  const expected = [0, 1, 2, 3, 4, 5].flatMap((i) => [`begin ${i}`, `end ${i}`]);
  assert.deepEqual(trace, expected);
});

test('call times out with a timeout error', async () => {
  const pid = await startWorker({ id: 'slow', journal: [] });
  await assert.rejects(pid.call({ sleep: 200 }, 20), CallTimeoutError);
  assert.equal(await pid.call('ping'), 'pong slow', 'the server is still alive after a caller timed out');
});

test('a crashing handler ends the process: pending calls rejected, terminate runs', async () => {
  const journal: string[] = [];
  const pid = await startWorker({ id: 'w', journal, trapExit: false });
  const pending = pid.call({ sleep: 50 });
  const crash = pid.call('crash');
  const queued = pid.call('ping');
  await pending;
  await assert.rejects(crash, CalleeExitError);
  await assert.rejects(queued, /w crashed/);
  const reason = await pid.exited;
  assert.ok(reason instanceof Error && reason.message === 'w crashed');
  assert.deepEqual(journal, ['start w', 'stop w error']);
  await assert.rejects(pid.call('ping'), NoProcError);
});

test('a call to an unknown name rejects with noproc naming it; a cast is dropped', async () => {
  await assert.rejects(call('nobody_here', 'ping'), /noproc: no process named 'nobody_here'/);
  cast('nobody_here', 'ping');
  const pid = await startWorker({ id: 'gone', journal: [] });
  await stopServer(pid);
  pid.cast('ping');
  assert.equal(pid.mailboxLength, 0);
});

test('registry: register, whereis, unregister on exit, badarg on duplicates', async () => {
  const pid = await startWorker({ id: 'named', journal: [] }, undefined, 'test_named');
  assert.equal(registry.whereis('test_named'), pid);
  assert.equal(await call('test_named', 'ping'), 'pong named');
  const other = await startWorker({ id: 'other', journal: [] });
  assert.throws(() => registry.register('test_named', other), /badarg/);
  await stopServer(pid);
  assert.equal(registry.whereis('test_named'), undefined);
  registry.register('test_named', other);
  assert.equal(await call('test_named', 'ping'), 'pong other');
  registry.unregister('test_named');
  assert.equal(registry.whereis('test_named'), undefined);
});

test('links propagate errors; trapExit turns them into EXIT messages; normal is ignored', async () => {
  const a = recorder('a').pid;
  const b = recorder('b').pid;
  a.link(b);
  exit(a, new Error('boom'));
  assert.equal(a.status, 'dead');
  assert.equal(b.status, 'dead', 'linked non-trapping process dies');
  assert.equal(((await b.exited) as Error).message, 'boom');

  const c = recorder('c');
  c.pid.trapExit = true;
  const d = recorder('d').pid;
  c.pid.link(d);
  exit(d, new Error('bang'));
  await eventually(() => c.seen.length === 1, 'EXIT delivered');
  const msg = c.seen[0] as ExitMessage;
  assert.equal(msg.type, 'EXIT');
  assert.equal(msg.from, d);
  assert.equal((msg.reason as Error).message, 'bang');
  assert.equal(c.pid.alive, true);

  const e = recorder('e').pid;
  const f = recorder('f').pid;
  e.link(f);
  f.signal(e, 'normal', true);
  assert.equal(f.alive, true, 'normal exit signal does not kill a linked process');
});

test('kill is not trappable, and linked processes see killed', async () => {
  const a = recorder('a');
  a.pid.trapExit = true;
  const watcher = recorder('w');
  watcher.pid.trapExit = true;
  watcher.pid.link(a.pid);
  exit(a.pid, 'kill');
  assert.equal(a.pid.status, 'dead');
  assert.equal(await a.pid.exited, 'killed');
  await eventually(() => watcher.seen.length === 1, 'EXIT killed');
  assert.equal((watcher.seen[0] as ExitMessage).reason, 'killed');
  assert.equal(a.seen.length, 0, 'the victim never saw an EXIT message');
});

test('monitor delivers DOWN once; demonitor stops it; monitoring a dead process gives noproc', async () => {
  const target = recorder('t').pid;
  const w = recorder('w');
  const ref = w.pid.monitor(target);
  const ref2 = w.pid.monitor(target);
  w.pid.demonitor(target, ref2);
  exit(target, 'shutdown');
  await eventually(() => w.seen.length === 1, 'DOWN');
  const down = w.seen[0] as DownMessage;
  assert.deepEqual([down.type, down.ref, down.pid, down.reason], ['DOWN', ref, target, 'shutdown']);
  w.pid.monitor(target);
  await eventually(() => w.seen.length === 2, 'DOWN noproc');
  assert.equal((w.seen[1] as DownMessage).reason, 'noproc');
  await tick(10);
  assert.equal(w.seen.length, 2, 'no DOWN for the demonitored ref');
});

test('deferred replies: noreply now, reply later from another message', async () => {
  const server: GenServer<{ waiting: From[] }> = {
    init: () => ({ waiting: [] }),
    handleCall(req, from, state) {
      if (req === 'wait') {
        state.waiting.push(from);
        return noreply(state);
      }
      for (const f of state.waiting) replyTo(f, 'released');
      return reply(state.waiting.length, { waiting: [] });
    },
  };
  const pid = await start(server, undefined);
  const a = pid.call('wait');
  const b = pid.call('wait');
  assert.equal(await pid.call('release'), 2);
  assert.deepEqual(await Promise.all([a, b]), ['released', 'released']);
});

test('init failure makes start fail with the reason', async () => {
  await assert.rejects(startWorker({ id: 'bad', journal: [], failInit: true }), /bad refuses to start/);
});

test('a handler that rejects asynchronously also ends the process', async () => {
  const server: GenServer<null> = {
    init: () => null,
    async handleCast() {
      await tick(1);
      throw new Error('async failure');
    },
  };
  const pid = await start(server, undefined);
  pid.cast('go');
  assert.equal(((await pid.exited) as Error).message, 'async failure');
});

test('terminate can take what is still queued, and what arrives while it runs (a send to a dead process is dropped)', async () => {
  const handed: unknown[] = [];
  let release!: () => void;
  const terminating = new Promise<void>((resolve) => (release = resolve));
  const server: GenServer<null> = {
    init: () => null,
    handleCast: (msg) => {
      if (msg === 'boom') throw new Error('boom');
      return noreply(null);
    },
    async terminate(_reason, _state, self) {
      await terminating;
      handed.push(...self.takeMessages((m) => typeof m === 'string' && m.startsWith('route')));
    },
  };
  const pid = await start(server, undefined);
  pid.cast('boom');
  pid.cast('route 1');
  pid.cast('other');
  await tick(0);
  assert.equal(pid.alive, false, 'exiting: terminate is running');
  pid.cast('route 2'); // sent while terminate runs
  release();
  await pid.exited;
  pid.cast('route 3');
  assert.deepEqual(handed, ['route 1', 'route 2']);
});
