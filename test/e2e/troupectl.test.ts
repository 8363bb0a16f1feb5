/**
 * troupectl against a real node over its real control socket: the live tree, fault injection
 * and restarts, accounts, and the node's lifecycle (orderly stop, stale socket after kill -9).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Level } from 'level';
import { startServer, type TestServer } from '../support/server.js';
import { rawSession } from '../support/xmpp.js';
import type { TreeNode } from '../../src/control/protocol.js';

const ACTORS = ['hooks', 'storage', 'router', 'local', 'sm', 'muc_room_sup', 'modules_sup', 'c2s_sup', 'listeners_sup', 'control'];

async function tree(server: TestServer): Promise<TreeNode> {
  const r = await server.ctl(['tree', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as TreeNode;
}

/** Every process of the tree by its path of ids, e.g. `troupe_sup/listeners_sup/c2s`. */
function flatten(node: TreeNode, prefix = ''): Map<string, TreeNode> {
  const at = `${prefix}${node.id}`;
  const all = new Map([[at, node]]);
  for (const child of node.children ?? []) for (const [k, v] of flatten(child, `${at}/`)) all.set(k, v);
  return all;
}

const child = (root: TreeNode, id: string): TreeNode | undefined => root.children?.find((c) => c.id === id);

/** A crash is asynchronous: the reply comes before the supervisor has restarted the victim. */
async function waitForRestart(server: TestServer, id: string, oldPid: string): Promise<TreeNode> {
  for (let i = 0; i < 100; i++) {
    const root = await tree(server);
    const node = child(root, id);
    if (node && node.pid !== oldPid && node.status === 'running') return root;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${id} was not restarted`);
}

describe('troupectl on a running node', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });

  test('tree lists every actor of the node with its pid', async () => {
    const root = await tree(server);
    assert.equal(root.id, 'troupe_sup');
    assert.equal(root.status, 'running');
    assert.deepEqual(root.children?.map((c) => c.id), ACTORS);
    for (const c of root.children ?? []) {
      assert.match(c.pid ?? '', /^<0\.\d+\.0>$/, c.id);
      assert.equal(c.status, 'running', c.id);
      assert.equal(c.restarts, 0, c.id);
      assert.equal(typeof c.mailbox, 'number', c.id);
    }
    assert.equal(child(root, 'router')?.name, 'router');
    assert.ok(child(root, 'listeners_sup')?.children?.length, 'listeners are in the tree');
  });

  test('the human tree has a row per process with its pid and status', async () => {
    const r = await server.ctl(['tree']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^NAME\s+PID\s+STATUS\s+RESTARTS\s+MAILBOX$/);
    assert.match(r.stdout, /├─ router\s+<0\.\d+\.0>\s+running\s+0\s+0/);
    assert.equal(lines.length - 1, flatten(await tree(server)).size);
  });

  test('the control socket is mode 0600', () => {
    assert.equal(statSync(server.socketPath).mode & 0o777, 0o600);
  });

  test('crash router: a new router with restarts=1, every other process untouched; again: restarts=2', async () => {
    const before = flatten(await tree(server));
    const oldRouter = before.get('troupe_sup/router')!.pid!;
    const r = await server.ctl(['crash', 'router']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`crashed router ${oldRouter}`));

    const after1 = flatten(await waitForRestart(server, 'router', oldRouter));
    const router = after1.get('troupe_sup/router')!;
    assert.equal(router.restarts, 1);
    for (const [at, node] of before) {
      if (at === 'troupe_sup/router') continue;
      assert.equal(after1.get(at)?.pid, node.pid, `${at} keeps its pid`);
      assert.equal(after1.get(at)?.restarts, 0, `${at} was not restarted`);
    }

    assert.equal((await server.ctl(['crash', 'router'])).code, 0);
    const after2 = await waitForRestart(server, 'router', router.pid!);
    assert.equal(child(after2, 'router')?.restarts, 2);
  });

  test('crash by pid', async () => {
    const local = child(await tree(server), 'local')!;
    const r = await server.ctl(['crash', local.pid!, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { name: 'local', pid: local.pid });
    assert.equal(child(await waitForRestart(server, 'local', local.pid!), 'local')?.restarts, 1);
  });

  test('crash of an unknown process: exit 1 and one line', async () => {
    const r = await server.ctl(['crash', 'no_such_actor']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'troupectl: no process named no_such_actor\n');
  });

  test('accounts: register, registered-users, passwd, unregister', async () => {
    const ok = async (args: string[]): Promise<string> => {
      const r = await server.ctl(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const fails = async (args: string[], code: number, message: RegExp): Promise<void> => {
      const r = await server.ctl(args);
      assert.equal(r.code, code, args.join(' '));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    };
    await ok(['register', 'alice', 'localhost', 's3cret']);
    await ok(['register', 'Bob', 'localhost', 'hunter2']);
    await fails(['register', 'alice', 'localhost', 'other'], 1, /user alice@localhost already exists/);
    assert.deepEqual(JSON.parse(await ok(['registered-users', 'localhost', '--json'])), ['alice', 'bob']);
    assert.equal(await ok(['registered-users', 'localhost']), 'alice\nbob\n');
    await ok(['passwd', 'alice', 'localhost', 'n3w-s3cret']);
    await fails(['passwd', 'nobody', 'localhost', 'x'], 1, /does not exist/);
    await ok(['unregister', 'bob', 'localhost']);
    await fails(['unregister', 'bob', 'localhost'], 1, /does not exist/);
    assert.equal(await ok(['registered-users', 'localhost']), 'alice\n');
    await fails(['register', 'al@ice', 'localhost', 'x'], 1, /invalid user name/);
    await fails(['register', 'carol', 'example.net', 'x'], 1, /unknown host/);
    await fails(['register', 'carol', 'localhost', ''], 1, /invalid password/);
    await fails(['kick', 'alice', 'localhost'], 1, /user not connected/);
    assert.equal(await ok(['connected-users']), '');
  });

  test('connections: in the tree under c2s_sup, connected-users, kick, and unregister kicks', async () => {
    assert.equal((await server.ctl(['register', 'dave', 'localhost', 'dave-pw'])).code, 0);
    const one = await rawSession(server.ports.c2s_tls, 'dave', 'dave-pw', 'one');
    const two = await rawSession(server.ports.c2s_tls, 'dave', 'dave-pw', 'two');
    const labels = child(await tree(server), 'c2s_sup')?.children?.map((c) => c.label).sort();
    assert.deepEqual(labels, ['c2s dave@localhost/one', 'c2s dave@localhost/two']);
    assert.equal((await server.ctl(['connected-users'])).stdout, 'dave@localhost/one\ndave@localhost/two\n');

    const kick = await server.ctl(['kick', 'dave', 'localhost']);
    assert.equal(kick.code, 0, kick.stderr);
    assert.equal(kick.stdout, 'kicked 2 session(s)\n');
    for (const c of [one, two]) {
      const text = await c.read((t) => t.includes('</stream:stream>'));
      assert.match(text, /<policy-violation xmlns=['"]urn:ietf:params:xml:ns:xmpp-streams['"]/);
      assert.match(text, /Kicked by administrator/);
      await c.closed;
    }

    const again = await rawSession(server.ports.c2s_tls, 'dave', 'dave-pw', 'three');
    assert.equal((await server.ctl(['unregister', 'dave', 'localhost'])).code, 0);
    assert.match(await again.read((t) => t.includes('</stream:stream>')), /<policy-violation /);
    await again.closed;
  });

  test('usage errors exit 2', async () => {
    for (const args of [[], ['register', 'alice'], ['no-such-verb'], ['--bogus', 'status']]) {
      const r = await server.ctl(args);
      assert.equal(r.code, 2, `troupectl ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^troupectl: /);
    }
  });

  test('status', async () => {
    const r = await server.ctl(['status', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout);
    assert.equal(status.pid, server.process.pid);
    assert.deepEqual(status.hosts, ['localhost']);
    assert.equal(status.sessions, 0);
    assert.equal(status.processes, flatten(await tree(server)).size);
  });

  test('SIGTERM: exit 0, the socket is gone, troupectl says not running; no plaintext password on disk', async () => {
    const password = 'Pl41n-t3xt-n3v3r-st0r3d';
    assert.equal((await server.ctl(['register', 'carol', 'localhost', password])).code, 0);
    assert.equal(await server.stop(), 0);
    assert.equal(existsSync(server.socketPath), false);
    const r = await server.ctl(['status']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `troupectl: Troupe is not running (no control socket at ${server.socketPath})\n`);

    const db = new Level<string, string>(path.join(server.dir, 'data', 'db'), { valueEncoding: 'utf8' });
    await db.open();
    try {
      const entries = await db.iterator().all();
      const carol = entries.find(([key]) => key.includes('carol'));
      assert.ok(carol, 'carol is stored');
      assert.equal(JSON.parse(carol[1]).format, 'scram');
      for (const [, value] of entries) assert.ok(!value.includes(password), 'the password is not stored');
    } finally {
      await db.close();
    }
  });
});

describe('the node lifecycle through troupectl', () => {
  test('troupectl stop: the node stops in order and exits 0', async () => {
    const server = await startServer();
    const r = await server.ctl(['stop']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'stopping\n');
    assert.equal(await server.waitForExit(), 0);
    assert.equal(existsSync(server.socketPath), false);
  });

  test('after kill -9 the stale socket stays; the next node on that data_dir replaces it', async () => {
    const first = await startServer();
    await first.kill9();
    assert.ok(existsSync(first.socketPath), 'kill -9 leaves the socket file');
    const stale = await first.ctl(['status']);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /not running \(stale control socket/);
    const second = await startServer({ reuseDir: first.dir });
    assert.equal((await second.ctl(['status'])).code, 0);
    assert.equal(await second.stop(), 0);
  });
});
