/**
 * XEP-0198 stream management: acks, resumption after a dropped connection with the messages
 * sent meanwhile delivered exactly once, and a resume timeout that moves unacknowledged
 * messages to offline storage.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../support/server.js';
import { connect, rawSession, xml } from '../support/xmpp.js';

let server: TestServer;

before(async () => {
  server = await startServer({ c2s: { stream_management: { resume_timeout: 2 } } });
  for (const [u, p] of [['alice', 'alice-pw'], ['bob', 'bob-pw']]) assert.equal((await server.ctl(['register', u as string, 'localhost', p as string])).code, 0);
});

after(async () => {
  await server?.stop();
});

interface Sm {
  id: string;
  on(event: string, listener: () => void): void;
}

test('a dropped connection is resumed; messages sent meanwhile arrive exactly once', async () => {
  const alice = await connect({ port: server.ports.c2s, username: 'alice', password: 'alice-pw', resource: 'phone', reconnect: true });
  const bob = await connect({ port: server.ports.c2s, username: 'bob', password: 'bob-pw', resource: 'desk' });
  const sm = (alice.xmpp as unknown as { streamManagement: Sm }).streamManagement;
  assert.ok(sm.id, 'stream management enabled with resumption');
  const resumed = new Promise<void>((resolve) => sm.on('resumed', resolve));
  await bob.xmpp.send(xml('message', { to: 'alice@localhost/phone', type: 'chat' }, xml('body', {}, 'before')));
  await alice.next((el) => el.getChildText('body') === 'before');
  (alice.xmpp.socket as unknown as { socket: { destroy(): void } }).socket.destroy();
  for (const n of [1, 2, 3]) await bob.xmpp.send(xml('message', { to: 'alice@localhost/phone', type: 'chat' }, xml('body', {}, `while away ${n}`)));
  await resumed;
  for (const n of [1, 2, 3]) await alice.next((el) => el.getChildText('body') === `while away ${n}`, 10_000);
  await new Promise((r) => setTimeout(r, 300));
  const bodies = alice.received.filter((el) => el.is('message')).map((el) => el.getChildText('body'));
  assert.deepEqual(bodies.filter((b) => b?.startsWith('while away')), [], 'each message was consumed once, no duplicate arrived');
  assert.equal(alice.xmpp.jid?.toString(), 'alice@localhost/phone', 'the same session');
  await Promise.all([alice.stop(), bob.stop()]);
});

test('r/a: the server acks what it handled', async () => {
  const c = await rawSession(server.ports.c2s_tls, 'alice', 'alice-pw', 'acker');
  c.write("<enable xmlns='urn:xmpp:sm:3'/>");
  await c.read((t) => t.includes('<enabled'));
  c.write("<presence/><message to='bob@localhost' type='chat'><body>x</body></message><r xmlns='urn:xmpp:sm:3'/>");
  const text = await c.read((t) => /<a xmlns=['"]urn:xmpp:sm:3['"] h=['"]2['"]/.test(t));
  assert.match(text, /h=['"]2['"]/);
  c.end();
});

test('resuming an unknown session fails with item-not-found, and binding still works', async () => {
  const c = await rawSession(server.ports.c2s_tls, 'alice', 'alice-pw', 'x').catch(() => null);
  c?.end();
  const { raw, streamOpen } = await import('../support/xmpp.js');
  const r = await raw(server.ports.c2s_tls);
  r.write(streamOpen());
  await r.read((t) => t.includes('</stream:features>'));
  r.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from('\0alice\0alice-pw').toString('base64')}</auth>`);
  await r.read((t) => t.includes('<success'));
  r.write(streamOpen());
  await r.read((t) => (t.match(/<\/stream:features>/g) ?? []).length >= 2);
  r.write("<resume xmlns='urn:xmpp:sm:3' previd='no-such-session' h='0'/>");
  assert.match(await r.read((t) => t.includes('<failed')), /<item-not-found/);
  r.write("<iq type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
  assert.match(await r.read((t) => t.includes('<jid>')), /alice@localhost\//);
  r.end();
});

test('when the resume timeout passes, unacknowledged messages go to offline storage', async () => {
  const alice = await rawSession(server.ports.c2s_tls, 'alice', 'alice-pw', 'gone');
  alice.write("<presence/><enable xmlns='urn:xmpp:sm:3' resume='true'/>");
  await alice.read((t) => t.includes('<enabled'));
  const bob = await connect({ port: server.ports.c2s, username: 'bob', password: 'bob-pw', resource: 'sender' });
  alice.end(); // the connection drops without a word
  await new Promise((r) => setTimeout(r, 200));
  for (const n of [1, 2]) await bob.xmpp.send(xml('message', { to: 'alice@localhost/gone', type: 'chat' }, xml('body', {}, `queued ${n}`)));
  await new Promise((r) => setTimeout(r, 3000)); // past resume_timeout (2 s)
  const back = await connect({ port: server.ports.c2s, username: 'alice', password: 'alice-pw', resource: 'back' });
  await back.xmpp.send(xml('presence'));
  const first = await back.next((el) => el.getChildText('body') === 'queued 1', 10_000);
  const second = await back.next((el) => el.getChildText('body') === 'queued 2', 10_000);
  assert.ok(first && second);
  assert.ok(!bob.received.some((el) => el.attrs.type === 'error'), 'nothing bounced: the messages were stored');
  await Promise.all([back.stop(), bob.stop()]);
});
