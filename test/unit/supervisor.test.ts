import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Process } from '../../supervision/process.js';
import { injectFault, stopServer } from '../../supervision/gen_server.js';
import {
  countChildren, deleteChild, restartChild, startChild, startSupervisor, supervisorSpec, terminateChild, whichChildren,
} from '../../supervision/supervisor.js';
import type { ChildSpec, Restart, Shutdown, Strategy } from '../../supervision/child_spec.js';
import { startWorker, eventually, tick, type WorkerArgs } from '../support/worker.js';

function spec(id: string, journal: string[], extra: Partial<ChildSpec> & Partial<WorkerArgs> = {}): ChildSpec {
  const { restart, shutdown, slowTerminate, trapExit } = extra;
  const s: ChildSpec = { id, start: (parent) => startWorker({ id, journal, slowTerminate, trapExit } as WorkerArgs, parent) };
  if (restart) s.restart = restart;
  if (shutdown !== undefined) s.shutdown = shutdown;
  return s;
}

async function pids(sup: Process): Promise<Map<string, Process | null>> {
  return new Map((await whichChildren(sup)).map((c) => [c.id, c.pid]));
}

async function crashAndSettle(sup: Process, id: string): Promise<void> {
  const before = (await pids(sup)).get(id) as Process;
  injectFault(before);
  await eventually(async () => {
    const now = (await pids(sup)).get(id);
    return now !== before && now !== null;
  }, `${id} restarted`);
}

const strategies: [Strategy, string[]][] = [
  ['one_for_one', ['b']],
  ['one_for_all', ['a', 'b', 'c']],
  ['rest_for_one', ['b', 'c']],
];

for (const [strategy, restarted] of strategies) {
  test(`${strategy}: b crashes, ${restarted.join(',')} restart in order`, async () => {
    const journal: string[] = [];
    const sup = await startSupervisor({ name: strategy, flags: { strategy, intensity: 5 }, children: ['a', 'b', 'c'].map((id) => spec(id, journal)) });
    assert.deepEqual(journal, ['start a', 'start b', 'start c']);
    const before = await pids(sup);
    journal.length = 0;
    await crashAndSettle(sup, 'b');
    const after = await pids(sup);
    for (const id of ['a', 'b', 'c']) {
      assert.equal(after.get(id) !== before.get(id), restarted.includes(id), `${id} restarted?`);
    }
    const others = restarted.filter((id) => id !== 'b');
    const stops = [...others].reverse().map((id) => `stop ${id} shutdown`);
    assert.deepEqual(journal, ['stop b error', ...stops, ...restarted.map((id) => `start ${id}`)]);
    const info = await whichChildren(sup);
    assert.deepEqual(info.map((c) => c.restarts), ['a', 'b', 'c'].map((id) => (restarted.includes(id) ? 1 : 0)));
    await stopServer(sup, 'shutdown');
  });
}

const table: [Restart, string, boolean][] = [
  ['permanent', 'normal', true], ['permanent', 'shutdown', true], ['permanent', 'error', true],
  ['transient', 'normal', false], ['transient', 'shutdown', false], ['transient', 'error', true],
  ['temporary', 'normal', false], ['temporary', 'shutdown', false], ['temporary', 'error', false],
];

for (const [restart, how, restarts] of table) {
  test(`restart ${restart} × exit ${how} → ${restarts ? 'restarted' : 'not restarted'}`, async () => {
    const journal: string[] = [];
    const sup = await startSupervisor({ name: 'table', flags: { strategy: 'one_for_one', intensity: 5 }, children: [spec('x', journal, { restart })] });
    const [first] = await whichChildren(sup);
    const pid = first?.pid as Process;
    pid.cast({ exit: how === 'error' ? new Error('bad') : how });
    await pid.exited;
    await tick(10);
    const children = await whichChildren(sup);
    if (restarts) {
      assert.equal(children.length, 1);
      assert.notEqual(children[0]?.pid, null);
      assert.notEqual(children[0]?.pid, pid);
    } else if (restart === 'temporary') {
      assert.equal(children.length, 0, 'a temporary child is forgotten');
    } else {
      assert.equal(children[0]?.pid, null, 'the spec stays, not running');
    }
    await stopServer(sup, 'shutdown');
  });
}

test('intensity exceeded escalates through nested supervisors', async () => {
  const journal: string[] = [];
  const top = await startSupervisor({
    name: 'top',
    flags: { strategy: 'one_for_one', intensity: 0 },
    children: [supervisorSpec('mid', { strategy: 'one_for_one', intensity: 1, period: 5 }, [spec('leaf', journal)]), spec('sibling', journal)],
  });
  const mid = (await pids(top)).get('mid') as Process;
  await crashAndSettle(mid, 'leaf'); // first crash: within intensity 1
  assert.equal(top.alive, true);
  const leaf = (await pids(mid)).get('leaf') as Process;
  injectFault(leaf); // second within 5 s: mid gives up, top (intensity 0) gives up too
  assert.equal(await top.exited, 'shutdown');
  assert.equal(mid.alive, false);
  assert.ok(journal.includes('stop sibling shutdown'), 'top stopped its other children');
});

test('shutdown: reverse order; timeout then kill; brutal_kill skips terminate; infinity waits', async () => {
  const journal: string[] = [];
  const sup = await startSupervisor({
    name: 'shut',
    flags: { strategy: 'one_for_one' },
    children: [
      spec('first', journal, { shutdown: 'infinity', slowTerminate: 30 }),
      spec('second', journal, { shutdown: 20, slowTerminate: 500 }),
      spec('third', journal, { shutdown: 'brutal_kill' }),
      spec('fourth', journal, { shutdown: 1000 }),
    ],
  });
  const children = await pids(sup);
  journal.length = 0;
  await stopServer(sup, 'shutdown');
  assert.deepEqual(journal, ['stop fourth shutdown', 'stop first shutdown'], 'third killed brutally, second killed after its 20 ms');
  assert.equal(await children.get('second')?.exited, 'killed');
  assert.equal(await children.get('third')?.exited, 'killed');
});

test('a non-trapping child is ended by the shutdown signal without terminate', async () => {
  const journal: string[] = [];
  const sup = await startSupervisor({ name: 'nt', flags: { strategy: 'one_for_one' }, children: [spec('plain', journal, { trapExit: false })] });
  const child = (await pids(sup)).get('plain') as Process;
  await terminateChild(sup, 'plain');
  assert.equal(await child.exited, 'shutdown');
  assert.deepEqual(journal, ['start plain']);
  await stopServer(sup);
});

test('bad child specs fail with a message naming the field', async () => {
  const ok = spec('ok', []);
  const cases: [Partial<ChildSpec>, RegExp][] = [
    [{ ...ok, id: '' }, /id must be/],
    [{ ...ok, start: 'nope' as unknown as ChildSpec['start'] }, /start must be a function/],
    [{ ...ok, restart: 'sometimes' as Restart }, /restart must be permanent\|transient\|temporary/],
    [{ ...ok, shutdown: -1 as Shutdown }, /shutdown must be/],
    [{ ...ok, type: 'thing' as 'worker' }, /type must be worker\|supervisor/],
  ];
  for (const [bad, message] of cases) {
    await assert.rejects(startSupervisor({ name: 'v', flags: { strategy: 'one_for_one' }, children: [bad as ChildSpec] }), message);
  }
  await assert.rejects(startSupervisor({ name: 'v', flags: { strategy: 'all_for_me' as Strategy }, children: [] }), /strategy must be/);
});

test('a child that fails to start makes the supervisor fail to start, started ones stopped', async () => {
  const journal: string[] = [];
  const failing: ChildSpec = { id: 'bad', start: (parent) => startWorker({ id: 'bad', journal, failInit: true }, parent) };
  await assert.rejects(
    startSupervisor({ name: 'f', flags: { strategy: 'one_for_one' }, children: [spec('good', journal), failing] }),
    /child 'bad' failed to start: bad refuses to start/,
  );
  assert.deepEqual(journal, ['start good', 'stop good shutdown']);
});

test('startChild, terminateChild, restartChild, deleteChild, countChildren', async () => {
  const journal: string[] = [];
  const sup = await startSupervisor({ name: 'api', flags: { strategy: 'one_for_one' }, children: [spec('a', journal)] });
  await startChild(sup, spec('b', journal));
  await assert.rejects(startChild(sup, spec('b', journal)), /already_present/);
  assert.deepEqual(await countChildren(sup), { specs: 2, active: 2, supervisors: 0, workers: 2 });
  await terminateChild(sup, 'b');
  assert.equal((await pids(sup)).get('b'), null);
  await assert.rejects(deleteChild(sup, 'a'), /running/);
  const b = await restartChild(sup, 'b');
  assert.equal(await b.call('ping'), 'pong b');
  await terminateChild(sup, 'b');
  await deleteChild(sup, 'b');
  await assert.rejects(terminateChild(sup, 'b'), /not_found/);
  assert.deepEqual(await countChildren(sup), { specs: 1, active: 1, supervisors: 0, workers: 1 });
  assert.equal(sup.alive, true, 'errors are answers, not crashes');
  await stopServer(sup);
});

test('simple_one_for_one: 10,000 children started and stopped, all gone', async () => {
  const journal: string[] = [];
  const sup = await startSupervisor({
    name: 'sofo',
    flags: { strategy: 'simple_one_for_one' },
    children: [{ id: 'conn', restart: 'temporary', start: (parent, id: string) => startWorker({ id, journal }, parent) }],
  });
  const children: Process[] = [];
  for (let i = 0; i < 10_000; i++) children.push(await startChild(sup, [`c${i}`]));
  assert.equal((await countChildren(sup)).active, 10_000);
  await Promise.all(children.map((c) => terminateChild(sup, c)));
  assert.equal((await countChildren(sup)).active, 0);
  assert.ok(children.every((c) => !c.alive));
  assert.equal(journal.filter((l) => l.startsWith('stop')).length, 10_000);
  await stopServer(sup);
});

test('simple_one_for_one: a crashing temporary child is removed, others untouched', async () => {
  const sup = await startSupervisor({
    name: 'sofo2',
    flags: { strategy: 'simple_one_for_one' },
    children: [{ id: 'conn', restart: 'temporary', start: (parent, id: string) => startWorker({ id, journal: [] }, parent) }],
  });
  const [a, b] = [await startChild(sup, ['a']), await startChild(sup, ['b'])];
  a.cast('crash');
  await a.exited;
  await eventually(async () => (await countChildren(sup)).active === 1, 'crashed child removed');
  assert.equal(await b.call('ping'), 'pong b');
  await stopServer(sup);
  assert.equal(b.alive, false);
});
