/**
 * XMPP core end to end (issue 3): real sockets, real TLS, real LevelDB, @xmpp/client.
 * "alice sends … bob receives …"
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Level } from 'level';
import { join } from 'node:path';
import { startServer, type TestServer } from '../support/server.js';
import { connect, raw, rawSession, streamOpen, xml, type TestClient } from '../support/xmpp.js';

let server: TestServer;

before(async () => {
  server = await startServer();
  for (const [user, password] of [['alice', 'alice-secret-1'], ['bob', 'bob-secret-2'], ['carol', 'carol-secret-3']]) {
    const r = await server.ctl(['register', user as string, 'localhost', password as string]);
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await server?.stop();
});

const alice = (extra: Partial<Parameters<typeof connect>[0]> = {}): Promise<TestClient> =>
  connect({ port: server.ports.c2s, username: 'alice', password: 'alice-secret-1', ...extra });
const bob = (extra: Partial<Parameters<typeof connect>[0]> = {}): Promise<TestClient> =>
  connect({ port: server.ports.c2s, username: 'bob', password: 'bob-secret-2', ...extra });

for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'] as const) {
  for (const scheme of ['xmpp', 'xmpps'] as const) {
    test(`login with ${mechanism} over ${scheme === 'xmpp' ? 'STARTTLS' : 'direct TLS'}`, async () => {
      const port = scheme === 'xmpp' ? server.ports.c2s : server.ports.c2s_tls;
      const c = await alice({ port, scheme, mechanism, resource: `login-${mechanism}-${scheme}` });
      assert.equal(c.xmpp.jid?.toString(), `alice@localhost/login-${mechanism}-${scheme}`);
      await c.stop();
    });
  }
}

test('alice sends bob a chat message; bob receives it from her full JID', async () => {
  const a = await alice({ resource: 'desk' });
  const b = await bob({ resource: 'phone' });
  await b.xmpp.send(xml('presence'));
  await a.xmpp.send(xml('message', { to: 'bob@localhost', type: 'chat', id: 'm1' }, xml('body', {}, 'Hello Bob')));
  const got = await b.next((el) => el.is('message'));
  assert.equal(got.attrs.from, 'alice@localhost/desk');
  assert.equal(got.getChildText('body'), 'Hello Bob');
  await b.xmpp.send(xml('message', { to: 'alice@localhost/desk', type: 'chat' }, xml('body', {}, 'Hi Alice')));
  const back = await a.next((el) => el.is('message'));
  assert.equal(back.attrs.from, 'bob@localhost/phone');
  assert.equal(back.getChildText('body'), 'Hi Alice');
  await Promise.all([a.stop(), b.stop()]);
});

test('a message to a user that does not exist comes back as service-unavailable', async () => {
  const a = await alice({ resource: 'lonely' });
  await a.xmpp.send(xml('message', { to: 'nobody@localhost', type: 'chat', id: 'x1' }, xml('body', {}, 'anyone?')));
  const err = await a.next((el) => el.is('message') && el.attrs.type === 'error');
  assert.equal(err.attrs.from, 'nobody@localhost');
  assert.ok(err.getChild('error')?.getChild('service-unavailable', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
  await a.stop();
});

test('a message to an unknown domain gets remote-server-not-found', async () => {
  const a = await alice({ resource: 'remote' });
  await a.xmpp.send(xml('message', { to: 'someone@elsewhere.example', id: 'r1' }, xml('body', {}, 'hi')));
  const err = await a.next((el) => el.is('message') && el.attrs.type === 'error');
  assert.ok(err.getChild('error')?.getChild('remote-server-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
  await a.stop();
});

test('an IQ no one handles gets service-unavailable', async () => {
  const a = await alice({ resource: 'iq' });
  await assert.rejects(
    a.xmpp.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'urn:example:nothing' }))),
    (e: { condition?: string }) => e.condition === 'service-unavailable',
  );
  await a.stop();
});

test('resource conflict: the new session replaces the old, which gets <conflict/>', async () => {
  const first = await raw(server.ports.c2s_tls);
  first.write(streamOpen());
  await first.end(); // a plain connect-and-drop first, to show it leaves nothing behind
  const old = await rawSession(server.ports.c2s_tls, 'alice', 'alice-secret-1', 'same');
  const fresh = await alice({ resource: 'same' });
  const text = await old.read((t) => t.includes('</stream:stream>'));
  assert.match(text, /<conflict xmlns=['"]urn:ietf:params:xml:ns:xmpp-streams['"]/);
  await old.closed;
  assert.equal(fresh.xmpp.jid?.toString(), 'alice@localhost/same');
  await fresh.stop();
});

test('wrong password: not-authorized, and the server keeps serving', async () => {
  await assert.rejects(connect({ port: server.ports.c2s, username: 'alice', password: 'wrong', mechanism: 'SCRAM-SHA-256' }), /not-authorized/);
  await assert.rejects(connect({ port: server.ports.c2s, username: 'nobody', password: 'x', mechanism: 'PLAIN' }), /not-authorized/);
  const a = await alice({ resource: 'after-failure' });
  await a.stop();
});

test("crashing one user's c2s leaves another user's session working", async () => {
  const a = await alice({ resource: 'victim' });
  const b = await bob({ resource: 'bystander' });
  await b.xmpp.send(xml('presence'));
  const tree = JSON.parse((await server.ctl(['--json', 'tree'])).stdout);
  const c2sSup = tree.children.find((c: { id: string }) => c.id === 'c2s_sup');
  const victim = c2sSup.children.find((c: { label?: string; name?: string }) => (c.label ?? '').includes('alice@localhost/victim'));
  assert.ok(victim, 'the victim c2s is in the tree');
  const crashed = await server.ctl(['crash', victim.pid]);
  assert.equal(crashed.code, 0, crashed.stderr);
  const c = await connect({ port: server.ports.c2s, username: 'carol', password: 'carol-secret-3', resource: 'probe' });
  await c.xmpp.send(xml('message', { to: 'bob@localhost/bystander', type: 'chat' }, xml('body', {}, 'still there?')));
  const got = await b.next((el) => el.is('message'));
  assert.equal(got.getChildText('body'), 'still there?');
  const after = JSON.parse((await server.ctl(['--json', 'tree'])).stdout);
  const sm = after.children.find((x: { id: string }) => x.id === 'sm');
  const smBefore = tree.children.find((x: { id: string }) => x.id === 'sm');
  assert.equal(sm.pid, smBefore.pid, 'sm untouched');
  await Promise.all([a.stop(), b.stop(), c.stop()]);
});

test('no password is stored in the clear', async () => {
  const db = join(server.dir, 'data', 'db');
  await server.stop();
  const level = new Level<string, string>(db, { valueEncoding: 'utf8' });
  await level.open();
  const values = await level.values().all();
  await level.close();
  assert.ok(values.length >= 3, 'accounts are stored');
  for (const secret of ['alice-secret-1', 'bob-secret-2', 'carol-secret-3']) {
    assert.ok(!values.some((v) => v.includes(secret)), `${secret} must not be stored`);
  }
  server = await startServer({ reuseDir: server.dir });
});
