/**
 * mod_roster under faults (issue 4): roster sets while the roster actor is crashed again and
 * again, and a kill -9 during a burst of writes. Every acknowledged write is in the store, item
 * and version always agree, versions never go backwards, and nothing else is disturbed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Level } from 'level';
import type { Element } from 'ltx';
import { startServer, type TestServer } from '../support/server.js';
import type { TreeNode } from '../../src/control/protocol.js';
import type { TestClient } from '../support/xmpp.js';
import { condition, iq, items, login, NS_ROSTER, register, rosterGet, settle } from '../support/im.js';
import { xml } from '../support/xmpp.js';

interface Stored {
  items: Map<string, Map<string, { ver: number }>>;
  versions: Map<string, number>;
}

/** Reads the roster tables straight from LevelDB (the server must be stopped). */
async function readStore(server: TestServer): Promise<Stored> {
  const db = new Level<string, unknown>(join(server.dir, 'data', 'db'), { valueEncoding: 'json' });
  await db.open();
  const stored: Stored = { items: new Map(), versions: new Map() };
  for await (const [key, value] of db.sublevel<string, { ver: number }>('roster', { valueEncoding: 'json' }).iterator()) {
    const [, user, contact] = key.split('\0') as [string, string, string];
    if (!stored.items.has(user)) stored.items.set(user, new Map());
    stored.items.get(user)?.set(contact, value);
  }
  for await (const [key, value] of db.sublevel<string, number>('roster_version', { valueEncoding: 'json' }).iterator()) {
    stored.versions.set(key.split('\0')[1] as string, value);
  }
  await db.close();
  return stored;
}

async function users(server: TestServer, n: number, prefix: string): Promise<string[]> {
  const names = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  for (let i = 0; i < n; i += 10) await Promise.all(names.slice(i, i + 10).map((u) => register(server, u)));
  return names;
}

/** Versions of the pushes a client receives, in order. */
function recordPushes(c: TestClient): number[] {
  const vers: number[] = [];
  c.xmpp.on('stanza', (el: Element) => {
    const ver = el.is('iq') && el.attrs.type === 'set' ? el.getChild('query', NS_ROSTER)?.attrs.ver : undefined;
    if (ver !== undefined) vers.push(Number(ver));
  });
  return vers;
}

interface Outcome {
  acked: string[];
  errors: Map<string, string>;
  silent: string[];
}

/** Roster sets one after another until `done()`; each answer is sorted into acked, errors, or silent. */
async function writer(c: TestClient, user: string, done: () => boolean, out: Outcome, timeoutMs: number): Promise<void> {
  for (let n = 0; !done(); n++) {
    const jid = `${user}-c${n}@localhost`;
    const query = xml('query', { xmlns: NS_ROSTER }, xml('item', { jid, name: `n${n}` }, xml('group', {}, 'Friends')));
    try {
      const answer = await iq(c, 'set', query, undefined, timeoutMs);
      if (answer.attrs.type === 'result') out.acked.push(jid);
      else out.errors.set(jid, condition(answer) ?? '?');
    } catch {
      out.silent.push(jid);
      return; // the connection is gone (kill -9) or the server never answered
    }
  }
}

const increasing = (xs: number[]): boolean => xs.every((x, i) => i === 0 || x > (xs[i - 1] as number));

/** Every (path, pid) of the tree but `except`; c2s children by label. */
function pids(node: TreeNode, except: string, path = ''): Map<string, string | null> {
  const here = `${path}/${node.label?.startsWith('c2s ') ? node.label : node.id}`;
  const out = new Map<string, string | null>();
  if (node.id === except || node.label?.startsWith('control')) return out;
  out.set(here, node.pid);
  for (const child of node.children ?? []) for (const [k, v] of pids(child, except, here)) out.set(k, v);
  return out;
}

// one_queue: IQs in mod_roster's mailbox (the default); parallel: one process per IQ, per-user lock, group commit.
for (const iqdisc of ['one_queue', 'parallel'] as const) {
  const modules = { mod_roster: { iqdisc } };

  test(`${iqdisc}: 50 clients write their rosters while mod_roster is crashed repeatedly`, { timeout: 180_000 }, async () => {
    const server = await startServer({ modules });
    const names = await users(server, 50, 'w');
    const clients = await Promise.all(names.map((u) => login(server, u, 'desk')));
    const pushes = clients.map(recordPushes);
    await Promise.all(clients.map((c) => rosterGet(c)));
    const tree = async (): Promise<TreeNode> => JSON.parse((await server.ctl(['--json', 'tree'])).stdout) as TreeNode;
    const before = pids(await tree(), 'mod_roster');

    let stop = false;
    const outcomes = names.map((): Outcome => ({ acked: [], errors: new Map(), silent: [] }));
    const writers = clients.map((c, i) => writer(c, names[i] as string, () => stop, outcomes[i] as Outcome, 15_000));
    let crashes = 0;
    for (let k = 0; k < 10; k++) {
      await settle(150);
      if ((await server.ctl(['crash', 'mod_roster'])).code === 0) crashes++;
    }
    await settle(300);
    stop = true;
    await Promise.all(writers);
    assert.ok(crashes >= 5, `mod_roster was crashed ${crashes} times`);
    const after = pids(await tree(), 'mod_roster');
    assert.ok([...before.keys()].filter((k) => k.includes('/c2s w')).length === 50, 'the 50 sessions are in the tree');
    assert.deepEqual(after, before, 'every other process, sessions included, kept its pid');

    const acked = outcomes.reduce((n, o) => n + o.acked.length, 0);
    const errored = outcomes.reduce((n, o) => n + o.errors.size, 0);
    assert.ok(acked > 100, `${acked} sets acknowledged`);
    assert.deepEqual(outcomes.flatMap((o) => o.silent), [], 'every set got an answer');
    for (const [i, vers] of pushes.entries()) assert.ok(increasing(vers), `${names[i]}: push versions only grow: ${vers.join(',')}`);
    // A fresh roster get agrees with what each client saw.
    const fresh = await Promise.all(clients.map((c) => rosterGet(c)));
    for (const [i, result] of fresh.entries()) {
      const ver = Number(result.getChild('query', NS_ROSTER)?.attrs.ver);
      assert.ok(ver >= Math.max(0, ...(pushes[i] as number[])), 'the version never went backwards');
      for (const jid of (outcomes[i] as Outcome).acked) assert.ok(items(result).has(jid), `${jid} acknowledged and present`);
    }
    await Promise.all(clients.map((c) => c.stop()));
    await server.stop();

    const stored = await readStore(server);
    for (const [i, user] of names.entries()) {
      const mine = stored.items.get(user) ?? new Map();
      for (const jid of (outcomes[i] as Outcome).acked) assert.ok(mine.has(jid), `${jid} is in LevelDB`);
      for (const jid of (outcomes[i] as Outcome).errors.keys()) assert.ok(!mine.has(jid), `${jid} got an error and was not written`);
      assert.deepEqual([...mine.values()].map((v) => v.ver).sort((a, b) => a - b), Array.from({ length: mine.size }, (_, k) => k + 1));
      assert.equal(stored.versions.get(user) ?? 0, mine.size, `${user}: one version per write`);
    }
    const conditions = new Map<string, number>();
    for (const c of outcomes.flatMap((o) => [...o.errors.values()])) conditions.set(c, (conditions.get(c) ?? 0) + 1);
    console.log(`# ${iqdisc} crash test: ${crashes} crashes, ${acked} sets acknowledged, ${errored} answered with an error (${[...conditions].map(([c, n]) => `${c} ${n}`).join(', ')})`);
  });

  test(`${iqdisc}: kill -9 during a burst of roster writes: every acknowledged item survives, items agree with versions`, { timeout: 120_000 }, async () => {
    const server = await startServer({ modules });
    const names = await users(server, 20, 'k');
    const clients = await Promise.all(names.map((u) => login(server, u, 'desk')));
    const outcomes = names.map((): Outcome => ({ acked: [], errors: new Map(), silent: [] }));
    const writers = clients.map((c, i) => writer(c, names[i] as string, () => false, outcomes[i] as Outcome, 5_000));
    await settle(1500);
    await server.kill9();
    await Promise.all(writers);
    await Promise.all(clients.map((c) => c.stop()));

    const stored = await readStore(server);
    let acked = 0;
    for (const [i, user] of names.entries()) {
      const mine = stored.items.get(user) ?? new Map();
      const outcome = outcomes[i] as Outcome;
      acked += outcome.acked.length;
      for (const jid of outcome.acked) assert.ok(mine.has(jid), `${jid} was acknowledged before the kill`);
      // Each write was one batch of item + version: versions 1..N, one per item, and N stored.
      assert.deepEqual([...mine.values()].map((v) => v.ver).sort((a, b) => a - b), Array.from({ length: mine.size }, (_, k) => k + 1));
      assert.equal(stored.versions.get(user) ?? 0, mine.size, `${user}: the version agrees with the items`);
    }
    assert.ok(acked > 50, `${acked} sets acknowledged before the kill`);

    const again = await startServer({ reuseDir: server.dir, modules });
    const c = await login(again, names[0] as string, 'after');
    const result = await rosterGet(c);
    assert.equal(Number(result.getChild('query', NS_ROSTER)?.attrs.ver), stored.versions.get(names[0] as string) ?? 0);
    for (const jid of (outcomes[0] as Outcome).acked) assert.ok(items(result).has(jid));
    await c.stop();
    await again.stop();
    console.log(`# ${iqdisc} kill -9 test: ${acked} sets acknowledged, all found after restart`);
  });
}
