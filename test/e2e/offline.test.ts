/**
 * Offline messages end to end (XEP-0160, XEP-0203, RFC 6121 §8.5.2.2): kept for a user with no
 * available resource, delivered in order at initial presence, exactly once, up to a limit.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../support/server.js';
import { xml } from '../support/xmpp.js';
import { condition, login, register, settle } from '../support/im.js';

let server: TestServer;
const LIMIT = 5;

before(async () => {
  server = await startServer({ modules: { mod_offline: { max_user_offline_messages: LIMIT } } });
  await register(server, 'alice', 'bob', 'carol', 'dave');
});

after(async () => {
  await server?.stop();
});

const chat = (to: string, body: string, type = 'chat') => xml('message', { to, type, id: body }, xml('body', {}, body));

test('messages to an offline user arrive at its next initial presence, in order, with <delay/>, once', async () => {
  const a = await login(server, 'alice', 'desk');
  for (let i = 1; i <= 3; i++) await a.xmpp.send(chat('bob@localhost', `m${i}`));
  await a.xmpp.send(chat('bob@localhost/gone', 'm4', 'normal')); // to a resource that is not there: as to the bare JID
  await a.xmpp.send(xml('message', { to: 'bob@localhost', type: 'headline' }, xml('body', {}, 'news'))); // not stored
  await settle();
  assert.ok(!a.received.some((el) => el.attrs.type === 'error'), 'the sender got no error');
  await a.stop();
  await server.stop(); // stored means stored: they survive a restart
  server = await startServer({ reuseDir: server.dir, modules: { mod_offline: { max_user_offline_messages: LIMIT } } });

  const b = await login(server, 'bob', 'phone');
  await settle(200);
  assert.equal(b.received.filter((el) => el.is('message')).length, 0, 'nothing before initial presence');
  await b.xmpp.send(xml('presence'));
  const got = [];
  for (let i = 0; i < 4; i++) got.push(await b.next((el) => el.is('message')));
  assert.deepEqual(got.map((m) => m.getChildText('body')), ['m1', 'm2', 'm3', 'm4']);
  for (const m of got) {
    assert.equal(m.attrs.from, 'alice@localhost/desk');
    const delay = m.getChild('delay', 'urn:xmpp:delay');
    assert.ok(delay, 'XEP-0203 delay');
    assert.equal(delay.attrs.from, 'localhost');
    assert.match(delay.attrs.stamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  }
  await settle();
  assert.ok(!b.received.some((el) => el.is('message')), 'no headline, nothing twice');
  await b.stop();
  const b2 = await login(server, 'bob', 'laptop');
  await b2.xmpp.send(xml('presence'));
  await settle(500);
  assert.ok(!b2.received.some((el) => el.is('message')), 'delivered once: nothing left for the next session');
  await b2.stop();
});

test('past the per-user limit the sender gets service-unavailable', async () => {
  const a = await login(server, 'alice', 'flood');
  for (let i = 1; i <= LIMIT; i++) await a.xmpp.send(chat('carol@localhost', `c${i}`));
  await settle();
  assert.ok(!a.received.some((el) => el.attrs.type === 'error'));
  await a.xmpp.send(chat('carol@localhost', 'one too many'));
  const err = await a.next((el) => el.is('message') && el.attrs.type === 'error');
  assert.equal(err.attrs.id, 'one too many');
  assert.equal(condition(err), 'service-unavailable');
  await a.stop();
  const c = await login(server, 'carol', 'desk');
  await c.xmpp.send(xml('presence'));
  for (let i = 1; i <= LIMIT; i++) assert.equal((await c.next((el) => el.is('message'))).getChildText('body'), `c${i}`);
  await c.stop();
});

test('a user online with a negative priority only gets them on a non-negative presence; unknown users bounce', async () => {
  const a = await login(server, 'alice', 'neg');
  await a.xmpp.send(chat('dave@localhost', 'for later'));
  await a.xmpp.send(chat('nobody@localhost', 'void'));
  const bounced = await a.next((el) => el.is('message') && el.attrs.type === 'error');
  assert.equal(condition(bounced), 'service-unavailable');
  const d = await login(server, 'dave', 'bot');
  await d.xmpp.send(xml('presence', {}, xml('priority', {}, '-1')));
  await settle();
  assert.ok(!d.received.some((el) => el.is('message')));
  await d.stop();
  const d2 = await login(server, 'dave', 'human');
  await d2.xmpp.send(xml('presence'));
  assert.equal((await d2.next((el) => el.is('message'))).getChildText('body'), 'for later');
  await Promise.all([a.stop(), d2.stop()]);
});
