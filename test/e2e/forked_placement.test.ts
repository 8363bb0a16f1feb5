/**
 * `placement: forked` (ARCHITECTURE §7, issue 7 item 6): mod_version answers from a comedy actor
 * in its own Node process, a child of the server; kill -9 of that process makes `modules_sup`
 * restart the proxy (restart count 1 in the tree), IQs sent meanwhile fail with
 * internal-server-error or wait and succeed, each answered once; the server's stop leaves no
 * process behind. Also: the bridge alone (comedy's signal handlers gone) and the config errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Element } from 'ltx';
import type { StatusResult, TreeNode } from '../../src/control/protocol.js';
import { forkActor } from '../../actors/placement.js';
import { startServer, type TestServer } from '../support/server.js';
import { xml, type TestClient } from '../support/xmpp.js';
import { condition, iq, login, register, settle } from '../support/im.js';

const NS_VERSION = 'jabber:iq:version';
const ACTOR = fileURLToPath(new URL('../../actors/forked/module_actor.cjs', import.meta.url));

let server: TestServer;

before(async () => {
  server = await startServer({ modules: { mod_version: { placement: 'forked' } } });
  await register(server, 'alice');
});

after(async () => {
  await server?.stop();
});

const version = (c: TestClient, timeoutMs = 5000): Promise<Element> =>
  iq(c, 'get', xml('query', { xmlns: NS_VERSION }), 'localhost', timeoutMs);

async function ctlJson<T>(...args: string[]): Promise<T> {
  const r = await server.ctl(['--json', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

function find(node: TreeNode, id: string): TreeNode | undefined {
  if (node.id === id) return node;
  for (const child of node.children ?? []) {
    const found = find(child, id);
    if (found) return found;
  }
  return undefined;
}

async function modVersion(): Promise<TreeNode> {
  const node = find(await ctlJson<TreeNode>('tree'), 'mod_version');
  assert.ok(node, 'mod_version is in the tree');
  return node;
}

/** The forked process's OS pid, from the proxy's label `mod_version forked os_pid=N`. */
function osPid(node: TreeNode): number {
  const m = /^mod_version forked os_pid=(\d+)$/.exec(node.label ?? '');
  assert.ok(m, `label names the forked process: ${node.label}`);
  return Number(m[1]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The parent pid of `pid` (Linux /proc), or null where there is no /proc. */
async function ppid(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat === null ? null : Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** The comedy worker processes whose parent is `parent` (Linux /proc), or null where there is no /proc. */
async function forkedChildren(parent: number): Promise<number[] | null> {
  const entries = await readdir('/proc').catch(() => null);
  if (entries === null) return null;
  const pids = entries.filter((e) => /^\d+$/.test(e)).map(Number);
  const isWorker = async (pid: number): Promise<boolean> =>
    (await ppid(pid)) === parent && (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes('forked-actor-worker');
  const flags = await Promise.all(pids.map(isWorker));
  return pids.filter((_, i) => flags[i]);
}

async function waitFor<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await settle(100);
  }
}

const forkVersion = () => forkActor(ACTOR, 'mod_version', { module: 'mod_version', opts: {}, hosts: ['localhost'], level: 'silent' });
const wireIq = (id: string) => ({
  host: 'localhost', ns: NS_VERSION, from: 'a@localhost/r', to: 'localhost', type: 'get' as const,
  stanza: `<iq type='get' id='${id}' from='a@localhost/r' to='localhost'><query xmlns='${NS_VERSION}'/></iq>`,
});

test('the bridge: comedy forks the module, removes its SIGINT/SIGTERM handlers, answers, closes', async () => {
  const signals = (): number[] => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
  const before = signals();
  const bridge = await forkVersion();
  try {
    assert.deepEqual(signals(), before, "comedy's signal handlers are removed");
    assert.notEqual(bridge.osPid, process.pid);
    assert.equal(await bridge.request('ready', undefined, 5000), bridge.osPid);
    const answer = (await bridge.request('iq', wireIq('b1'), 5000)) as { xml: string };
    assert.match(answer.xml, /<name>Troupe<\/name>/);
  } finally {
    await bridge.close();
  }
  assert.ok(!alive(bridge.osPid), 'the forked process is gone after close');
  await assert.rejects(bridge.request('ready', undefined, 5000), /not running/);
});

test('the bridge: a module that cannot start in the forked process fails the fork, leaving no process', async () => {
  await assert.rejects(
    forkActor(ACTOR, 'mod_roster', { module: 'mod_roster', opts: {}, hosts: ['localhost'], level: 'silent' }),
    /mod_roster: the forked process could not start: mod_roster does not declare itself forkable/,
  );
  const children = await forkedChildren(process.pid);
  if (children !== null) assert.deepEqual(children, [], 'no forked process left');
});

test('the bridge: kill -9 fails the requests in flight and tells the owner once', async () => {
  const bridge = await forkVersion();
  const exits: string[] = [];
  bridge.onExit((why) => exits.push(why));
  const inflight = Array.from({ length: 50 }, (_, i) => bridge.request('iq', wireIq(`k${i}`), 5000).then(() => 'answered', (e: Error) => e.message));
  process.kill(bridge.osPid, 'SIGKILL');
  const outcomes = await Promise.all(inflight);
  assert.ok(outcomes.every((o) => o === 'answered' || /SIGKILL|crashed|closed/i.test(o)), outcomes.join('; '));
  assert.ok(outcomes.some((o) => o !== 'answered'), 'some were still in flight');
  await waitFor('the exit notice', async () => (exits.length > 0 ? true : null), 5000);
  assert.deepEqual(exits, ['was killed by SIGKILL']);
  await bridge.close();
});

test('jabber:iq:version is answered by mod_version in a forked process, a child of the server', async () => {
  const status = await ctlJson<StatusResult>('status');
  assert.equal(status.pid, server.process.pid);
  const node = await modVersion();
  assert.equal(node.status, 'running');
  assert.equal(node.restarts, 0);
  const pid = osPid(node);
  assert.notEqual(pid, status.pid, 'another OS process');
  assert.ok(alive(pid));
  const parent = await ppid(pid);
  if (parent !== null) assert.equal(parent, status.pid, 'forked by the server');

  const alice = await login(server, 'alice', 'version');
  const query = (await version(alice)).getChild('query', NS_VERSION);
  assert.equal(query?.getChildText('name'), 'Troupe');
  assert.ok(query?.getChildText('version'));
  assert.equal(condition(await iq(alice, 'set', xml('query', { xmlns: NS_VERSION }), 'localhost')), 'not-allowed');
  await alice.stop();
});

test('kill -9 of the forked process: modules_sup restarts the proxy; IQs in the gap fail or wait, each answered once', async () => {
  const alice = await login(server, 'alice', 'kill');
  const first = osPid(await modVersion());
  assert.equal((await version(alice)).attrs.type, 'result');

  process.kill(first, 'SIGKILL');
  // IQs during the gap, spread over the restart (the new process takes a second or two to fork).
  const gap = await Promise.all(
    Array.from({ length: 10 }, async (_, i) => {
      await settle(i * 40);
      return version(alice, 20_000);
    }),
  );
  for (const answer of gap) {
    const ok = answer.attrs.type === 'result' || condition(answer) === 'internal-server-error';
    assert.ok(ok, `a result or internal-server-error, got ${answer.toString()}`);
  }

  const node = await waitFor('the restarted mod_version', async () => {
    const n = await modVersion();
    return n.status === 'running' && n.restarts === 1 && osPid(n) !== first ? n : null;
  });
  assert.equal(node.restarts, 1, 'one restart, decided by modules_sup');
  const second = osPid(node);
  assert.ok(alive(second) && !alive(first), 'a new process replaced the killed one');

  const after = await Promise.all(Array.from({ length: 20 }, () => version(alice)));
  assert.ok(after.every((a) => a.attrs.type === 'result'), 'after the restart every IQ succeeds');
  await settle(300);
  const twice = alice.received.filter((el) => el.is('iq') && /^t\d+$/.test(el.attrs.id ?? ''));
  assert.deepEqual(twice.map(String), [], 'no IQ was answered twice');
  await alice.stop();
});

test('placement: forked is refused for a module that does not declare itself forkable, and must be local|forked', async () => {
  await assert.rejects(
    startServer({ modules: { mod_roster: { placement: 'forked' } } }),
    (err: Error) => /modules\.mod_roster\.placement: mod_roster cannot run forked/.test(err.message) && /forkable/.test(err.message),
  );
  await assert.rejects(
    startServer({ modules: { mod_version: { placement: 'sideways' } } }),
    /modules\.mod_version\.placement: expected local or forked, got "sideways"/,
  );
});

test('stopping the server leaves no forked process behind', async () => {
  const pid = osPid(await modVersion());
  assert.ok(alive(pid));
  assert.equal(await server.stop(), 0);
  assert.ok(!alive(pid), `forked process ${pid} ended with the server`);
});
