/** ejabberd_hooks semantics: priority order, per host, run_fold, stop, a throwing callback skipped, owner death. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Process, exit } from '../../supervision/process.js';
import { HookTable, STOP } from '../../actors/hooks.js';

function owner(): Process {
  const p = new Process('owner');
  p.run({ handle: () => undefined, terminate: () => undefined });
  return p;
}

test('run calls callbacks by ascending priority, per host, until one returns STOP', async () => {
  const table = new HookTable();
  const o = owner();
  const calls: string[] = [];
  table.add('h', 'a.example', () => void calls.push('late'), 90, o);
  table.add('h', 'a.example', () => void calls.push('early'), 10, o);
  table.add('h', 'b.example', () => void calls.push('other host'), 50, o);
  table.add('h', 'a.example', () => {
    calls.push('stopper');
    return STOP;
  }, 50, o);
  await table.run('h', 'a.example');
  assert.deepEqual(calls, ['early', 'stopper']);
});

test('runFold threads the accumulator; STOP ends the fold with STOP; a throwing callback is skipped', async () => {
  const table = new HookTable();
  const o = owner();
  table.add('f', 'h', (acc: number) => acc + 1, 10, o);
  table.add('f', 'h', () => {
    throw new Error('broken callback');
  }, 20, o);
  table.add('f', 'h', async (acc: number) => acc * 10, 30, o);
  assert.equal(await table.runFold('f', 'h', 1), 20);
  table.add('f', 'h', () => STOP, 40, o);
  assert.equal(await table.runFold('f', 'h', 1), STOP);
  assert.equal(await table.runFold('unknown', 'h', 'unchanged'), 'unchanged');
});

test('delete removes one callback; dropOwner removes everything a dead owner added', async () => {
  const table = new HookTable();
  const [a, b] = [owner(), owner()];
  const cb = (acc: string[]): string[] => [...acc, 'a'];
  table.add('x', 'h', cb, 10, a);
  table.add('x', 'h', (acc: string[]) => [...acc, 'a2'], 20, a);
  table.add('x', 'h', (acc: string[]) => [...acc, 'b'], 30, b);
  table.delete('x', 'h', cb);
  assert.deepEqual(await table.runFold('x', 'h', []), ['a2', 'b']);
  exit(a, 'kill');
  table.dropOwner(a, 'killed');
  assert.deepEqual(await table.runFold('x', 'h', []), ['b']);
  assert.deepEqual([...table.owners()], [b]);
});
