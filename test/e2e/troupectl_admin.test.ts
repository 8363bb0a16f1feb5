/**
 * troupectl's administration verbs against a real node: send-message, roster-list, backup and
 * restore while the node runs, and reload of troupe.yml (what applies live, what needs a
 * restart, and a bad file that changes nothing). Exit codes: 0 done, 1 failed, 2 usage.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCtl, startServer, type CtlResult, type TestServer } from '../support/server.js';
import type { Element } from 'ltx';
import { rawSession, xml, type TestClient } from '../support/xmpp.js';
import { condition, iq, items, login, register, rosterGet, rosterSet } from '../support/im.js';
import type { ReloadResult, RosterListItem, TreeNode } from '../../src/control/protocol.js';

const NS_VERSION = 'jabber:iq:version';

async function ok(server: TestServer, args: string[]): Promise<string> {
  const r = await server.ctl(args);
  assert.equal(r.code, 0, `troupectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Fails with `code` and one line on stderr matching `message`, nothing on stdout. */
async function fails(server: TestServer, args: string[], code: number, message: RegExp): Promise<CtlResult> {
  const r = await server.ctl(args);
  assert.equal(r.code, code, `troupectl ${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  assert.equal(r.stdout, '');
  return r;
}

const canLogIn = async (server: TestServer, user: string): Promise<boolean> => {
  try {
    await (await login(server, user, 'check')).stop();
    return true;
  } catch {
    return false;
  }
};

describe('send-message, roster-list, backup and restore', () => {
  let server: TestServer;
  const clients: TestClient[] = [];
  before(async () => {
    server = await startServer();
    await register(server, 'alice', 'bob', 'carol');
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await server?.stop();
  });

  test('send-message: a chat message from FROM reaches the connected recipient', async () => {
    const bob = await login(server, 'bob', 'phone');
    clients.push(bob);
    await bob.xmpp.send(xml('presence')); // available: a message to the bare JID reaches this resource (RFC 6121 §8.5.2)
    await bob.next((el) => el.is('presence') && el.attrs.from === 'bob@localhost/phone');
    const out = await ok(server, ['send-message', 'alice@localhost', 'bob@localhost', 'hello from the shell']);
    assert.equal(out, 'message sent from alice@localhost to bob@localhost\n');
    const message = await bob.next((el) => el.is('message') && el.getChildText('body') === 'hello from the shell');
    assert.equal(message.attrs.from, 'alice@localhost');
    assert.equal(message.attrs.type, 'chat');
    await ok(server, ['send-message', 'localhost', 'bob@localhost/phone', 'from the server itself']);
    assert.equal((await bob.next((el) => el.getChildText('body') === 'from the server itself')).attrs.from, 'localhost');
  });

  test('send-message: bad JIDs, a sender on a host not served, wrong arguments', async () => {
    await fails(server, ['send-message', '@localhost', 'bob@localhost', 'x'], 1, /^troupectl: invalid JID '@localhost' \(from\)$/m);
    await fails(server, ['send-message', 'alice@localhost', 'bob@', 'x'], 1, /invalid JID 'bob@' \(to\)/);
    await fails(server, ['send-message', 'alice@example.net', 'bob@localhost', 'x'], 1, /not on a served host/);
    await fails(server, ['send-message', 'alice@localhost', 'bob@localhost', ''], 1, /empty message body/);
    await fails(server, ['send-message', 'alice@localhost', 'bob@localhost'], 2, /usage: troupectl send-message FROM TO BODY/);
  });

  test('roster-list: the items with name, subscription and groups; --json gives the array', async () => {
    const alice = await login(server, 'alice', 'desk');
    clients.push(alice);
    assert.equal((await rosterSet(alice, { jid: 'bob@localhost', name: 'Bobby' }, ['Friends', 'Work'])).attrs.type, 'result');
    assert.equal((await rosterSet(alice, { jid: 'carol@localhost' })).attrs.type, 'result');
    const list = JSON.parse(await ok(server, ['roster-list', 'alice', 'localhost', '--json'])) as RosterListItem[];
    assert.deepEqual(list, [
      { jid: 'bob@localhost', name: 'Bobby', subscription: 'none', groups: ['Friends', 'Work'] },
      { jid: 'carol@localhost', name: null, subscription: 'none', groups: [] },
    ]);
    assert.equal(await ok(server, ['roster-list', 'alice', 'localhost']), 'bob@localhost\tBobby\tnone\tFriends,Work\ncarol@localhost\t\tnone\t\n');
    assert.deepEqual(JSON.parse(await ok(server, ['roster-list', 'carol', 'localhost', '--json'])), []);
  });

  test('roster-list: unknown user, unknown host, invalid name', async () => {
    await fails(server, ['roster-list', 'nobody', 'localhost'], 1, /user nobody@localhost does not exist/);
    await fails(server, ['roster-list', 'alice', 'example.net'], 1, /unknown host/);
    await fails(server, ['roster-list', 'al@ice', 'localhost'], 1, /invalid user name/);
    await fails(server, ['roster-list', 'alice'], 2, /usage/);
  });

  test('backup, unregister, restore: the user logs in again and the roster is back; later data is gone', async () => {
    await register(server, 'frank');
    const before = await login(server, 'frank', 'desk');
    clients.push(before);
    assert.equal((await rosterSet(before, { jid: 'bob@localhost', name: 'Bobby' }, ['Friends', 'Work'])).attrs.type, 'result');
    assert.equal((await rosterSet(before, { jid: 'carol@localhost' })).attrs.type, 'result');
    const users = await ok(server, ['registered-users', 'localhost']);
    const file = path.join(server.dir, 'troupe.backup');
    const out = await ok(server, ['backup', file, '--json']);
    const result = JSON.parse(out) as { file: string; keys: number; created: string };
    assert.equal(result.file, file);
    assert.ok(result.keys > 0);
    assert.equal(statSync(file).mode & 0o777, 0o600, 'the backup holds credentials: owner only');
    assert.equal(existsSync(`${file}.tmp`), false);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    const header = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual(header, { format: 'troupe-backup', version: 1, created: result.created, keys: result.keys });
    assert.equal(lines.length - 1, result.keys);
    assert.ok(lines.slice(1).every((l) => Object.keys(JSON.parse(l)).join() === 'k,v'));

    await ok(server, ['unregister', 'frank', 'localhost']);
    await ok(server, ['register', 'dave', 'localhost', 'dave-pw']);
    assert.equal(await canLogIn(server, 'frank'), false);
    await fails(server, ['roster-list', 'frank', 'localhost'], 1, /does not exist/);

    assert.match(await ok(server, ['restore', file]), new RegExp(`^restored ${result.keys} keys from ${file} \\(backup of `));
    assert.equal(await canLogIn(server, 'frank'), true);
    assert.equal(await canLogIn(server, 'dave'), false, 'restore replaces everything: dave came after the backup');
    assert.equal(await ok(server, ['registered-users', 'localhost']), users);
    const frank = await login(server, 'frank', 'again');
    clients.push(frank);
    const roster = items(await rosterGet(frank));
    assert.deepEqual([...roster.keys()], ['bob@localhost', 'carol@localhost']);
    assert.equal(roster.get('bob@localhost')?.attrs.name, 'Bobby');
    assert.deepEqual(roster.get('bob@localhost')?.getChildren('group').map((g) => g.getText()), ['Friends', 'Work']);
  });

  test('backup and restore of a bad file: exit 1, nothing restored', async () => {
    const good = path.join(server.dir, 'good.backup');
    await ok(server, ['backup', good]);
    await ok(server, ['register', 'erin', 'localhost', 'erin-pw']);
    const text = await readFile(good, 'utf8');
    const lines = text.trim().split('\n');
    const cases: [string, string, RegExp][] = [
      ['truncated.backup', `${lines.slice(0, -1).join('\n')}\n`, /announces \d+ keys, the file holds \d+ \(truncated\?\); nothing restored/],
      ['garbage.backup', 'hello\n', /line 1: not JSON; nothing restored/],
      ['other.backup', '{"format":"something-else"}\n', /line 1: not a Troupe backup/],
      ['future.backup', lines[0]!.replace('"version":1', '"version":2'), /backup format version 2/],
      ['badline.backup', `${lines[0]}\n{"k":"!!","v":""}\n`, /line 2: the key is not base64/],
      ['empty.backup', '', /empty file/],
    ];
    for (const [name, content, message] of cases) {
      const file = path.join(server.dir, name);
      await writeFile(file, content);
      await fails(server, ['restore', file], 1, message);
    }
    await fails(server, ['restore', path.join(server.dir, 'missing.backup')], 1, /cannot read .*missing\.backup: no such file/);
    await fails(server, ['restore', server.dir], 1, /nothing restored|cannot read/);
    await fails(server, ['backup', path.join(server.dir, 'no', 'such', 'dir', 'x.backup')], 1, /cannot write .*x\.backup\.tmp: no such file/);
    await fails(server, ['backup'], 2, /usage: troupectl backup FILE/);
    assert.equal(await canLogIn(server, 'erin'), true, 'erin (after the good backup) survived the failed restores');
  });
});

describe('reload', () => {
  let server: TestServer;
  let original: Record<string, unknown>;
  let alice: TestClient;
  before(async () => {
    // Logs on (TROUPE_LOGLEVEL unset), so the level set by the file can be seen in the output.
    server = await startServer({ loglevel: 'warn', env: { TROUPE_LOGLEVEL: '' } });
    original = JSON.parse(await readFile(server.configPath, 'utf8')) as Record<string, unknown>;
    await register(server, 'alice');
    alice = await login(server, 'alice', 'desk');
  });
  after(async () => {
    await alice?.stop();
    await server?.stop();
  });

  /** Rewrites troupe.yml as the original plus `changes` (one level deep per top key), reloads. */
  async function reloadWith(changes: Record<string, unknown>): Promise<CtlResult> {
    const next: Record<string, unknown> = { ...original };
    for (const [k, v] of Object.entries(changes)) {
      const base = original[k];
      next[k] = typeof v === 'object' && v !== null && typeof base === 'object' && base !== null ? { ...base, ...v } : v;
    }
    await writeFile(server.configPath, JSON.stringify(next, null, 2));
    return server.ctl(['reload', '--json']);
  }
  const reloaded = (r: CtlResult): ReloadResult => {
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as ReloadResult;
  };
  const version = (): Promise<Element> => iq(alice, 'get', xml('query', { xmlns: NS_VERSION }), 'localhost');
  const moduleIds = async (): Promise<string[]> => {
    const root = JSON.parse(await ok(server, ['tree', '--json'])) as TreeNode;
    return root.children?.find((c) => c.id === 'modules_sup')?.children?.map((c) => c.id) ?? [];
  };

  test('loglevel and limits.max_stanza_size apply live: a bigger stanza now gets policy-violation', async () => {
    // Well past the limit: the parser checks the size per 8 KiB read, so it must span several.
    const bigMessage = `<message to='alice@localhost' type='chat'><body>${'x'.repeat(40_000)}</body></message>`;
    const fine = await rawSession(server.ports.c2s_tls, 'alice', 'alice-pw', 'fine');
    fine.write(`${bigMessage}<iq type='get' id='ping1'><ping xmlns='urn:xmpp:ping'/></iq>`);
    assert.match(await fine.read((t) => /id=['"]ping1['"]/.test(t)), /type=['"]result['"]/, 'under the old limit');
    fine.end();
    await ok(server, ['status']);
    assert.doesNotMatch(server.output(), /"cmd":"status"/, 'loglevel warn: no info lines');
    const result = reloaded(await reloadWith({ loglevel: 'info', limits: { max_stanza_size: 4096 } }));
    assert.deepEqual(result.applied, [
      { key: 'limits.max_stanza_size', from: 262144, to: 4096 },
      { key: 'loglevel', from: 'warn', to: 'info' },
    ]);
    assert.deepEqual(result.needsRestart, []);
    await ok(server, ['status']);
    for (let i = 0; i < 50 && !/"cmd":"status"/.test(server.output()); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(server.output(), /"cmd":"status"/, 'loglevel info: troupectl requests are logged');

    const c = await rawSession(server.ports.c2s_tls, 'alice', 'alice-pw', 'big');
    c.write(bigMessage);
    const text = await c.read((t) => t.includes('</stream:stream>'));
    assert.match(text, /<policy-violation xmlns=['"]urn:ietf:params:xml:ns:xmpp-streams['"]/);
    await c.closed;
  });

  test('a module disabled, then enabled with other options: the tree and the IQ follow', async () => {
    assert.ok((await moduleIds()).includes('mod_version'));
    assert.equal((await version()).attrs.type, 'result');

    const off = reloaded(await reloadWith({ modules: { mod_version: false } }));
    assert.deepEqual(off.modules, { started: [], stopped: ['mod_version'], restarted: [] });
    assert.ok(!(await moduleIds()).includes('mod_version'), 'not in the tree');
    assert.equal(condition(await version()), 'service-unavailable');

    const on = reloaded(await reloadWith({ modules: { mod_version: { show_os: true } } }));
    assert.deepEqual(on.modules, { started: ['mod_version'], stopped: [], restarted: [] });
    assert.ok((await version()).getChild('query', NS_VERSION)?.getChildText('os'), 'started with show_os');

    const changed = reloaded(await reloadWith({ modules: { mod_version: { show_os: false } } }));
    assert.deepEqual(changed.applied, [{ key: 'modules.mod_version.show_os', from: true, to: false }]);
    assert.deepEqual(changed.modules, { started: [], stopped: [], restarted: ['mod_version'] });
    const query = (await version()).getChild('query', NS_VERSION);
    assert.equal(query?.getChildText('name'), 'Troupe');
    assert.equal(query?.getChildText('os'), null, 'restarted with the new options');

    const forked = reloaded(await reloadWith({ modules: { mod_version: { placement: 'forked' } } }));
    assert.deepEqual(forked.modules, { started: [], stopped: [], restarted: ['mod_version'] }, 'placement: a restart too');
    assert.equal((await version()).getChild('query', NS_VERSION)?.getChildText('name'), 'Troupe');
  });

  test('a listener port change needs a restart: reported, not applied', async () => {
    const result = reloaded(await reloadWith({ listen: { c2s: { port: server.ports.c2s + 1 } } }));
    assert.deepEqual(result.needsRestart, [{ key: 'listen.c2s.port', from: server.ports.c2s, to: server.ports.c2s + 1 }]);
    const human = await ok(server, ['reload']);
    assert.match(human, /^needs a restart:\n {2}listen\.c2s\.port: \d+ → \d+$/m);
    await (await login(server, 'alice', 'old-port')).stop();
  });

  test('a bad file: exit 1 with the problems, nothing changed', async () => {
    const before = await moduleIds();
    const bad = { ...original, modules: { mod_version: false }, limits: { max_stanza_size: -1 }, bogus: 1 };
    await writeFile(server.configPath, JSON.stringify(bad));
    // troupectl reads the same file first (for the socket's path): it reports every problem, one per line.
    const local = await server.ctl(['reload']);
    assert.equal(local.code, 1);
    assert.match(local.stderr, /^troupectl: .*troupe\.yml: limits\.max_stanza_size: expected > 0, got -1$/m);
    assert.match(local.stderr, /^troupectl: .*troupe\.yml: unknown key "bogus"$/m);
    // With a good file of its own, troupectl reaches the node, which reads its own file: one line.
    const ctlConfig = path.join(server.dir, 'ctl.yml');
    await writeFile(ctlConfig, JSON.stringify(original));
    const remote = await runCtl(['--config', ctlConfig, 'reload'], { ...process.env, TROUPE_LOGLEVEL: 'silent' });
    assert.equal(remote.code, 1, remote.stderr);
    assert.match(remote.stderr, /^troupectl: config not reloaded: .*limits\.max_stanza_size: expected > 0, got -1; .*unknown key "bogus"\n$/);

    await writeFile(server.configPath, JSON.stringify({ ...original, modules: { mod_version: { show_os: 'yes' } } }));
    await fails(server, ['reload'], 1, /^troupectl: config not reloaded: modules\.mod_version\.show_os: /);
    await writeFile(server.configPath, JSON.stringify({ ...original, modules: { mod_roster: { placement: 'forked' }, mod_version: false } }));
    await fails(server, ['reload'], 1, /config not reloaded: modules\.mod_roster\.placement: mod_roster cannot run forked/);
    await writeFile(server.configPath, JSON.stringify({ ...original, modules: { mod_nope: {}, mod_version: false } }));
    await fails(server, ['reload'], 1, /config not reloaded: modules: unknown module mod_nope/);
    assert.deepEqual(await moduleIds(), before, 'no module stopped');
    assert.equal((await version()).attrs.type, 'result');
    await fails(server, ['reload', 'now'], 2, /usage: troupectl reload/);
  });
});

test('reload on a node logging per TROUPE_LOGLEVEL: the file level is noted, not applied', async () => {
  const server = await startServer();
  try {
    const config = JSON.parse(await readFile(server.configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(server.configPath, JSON.stringify({ ...config, loglevel: 'debug' }));
    const r = await server.ctl(['reload']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /applied:\n {2}loglevel: "info" → "debug"\n/);
    assert.match(r.stdout, /note: loglevel: TROUPE_LOGLEVEL=silent overrides the file/);
  } finally {
    await server.stop();
  }
});
