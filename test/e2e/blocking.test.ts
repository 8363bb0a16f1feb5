/**
 * mod_blocking end to end (XEP-0191): alice blocks bob. His messages never reach her (he gets
 * service-unavailable, as if she were offline), hers to him are refused with not-acceptable and
 * <blocked/>; every resource that asked for the list gets the pushes; bad items change nothing;
 * unblocking restores; the list survives a restart and goes with the account.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { startServer, type TestServer } from '../support/server.js';
import { xml, type TestClient } from '../support/xmpp.js';
import { condition, iq, login, register, settle } from '../support/im.js';

const NS = 'urn:xmpp:blocking';
const NS_ERRORS = 'urn:xmpp:blocking:errors';
const MAX_ITEMS = 3; // after the restart below

let server: TestServer;

before(async () => {
  server = await startServer();
  await register(server, 'alice', 'bob', 'carol', 'dave', 'erin', 'frank');
});

after(async () => {
  await server?.stop();
});

const items = (...jids: string[]) => jids.map((jid) => xml('item', { jid }));
const blocklist = async (c: TestClient): Promise<string[]> =>
  ((await iq(c, 'get', xml('blocklist', { xmlns: NS }))).getChild('blocklist', NS)?.getChildren('item') ?? []).map((i) => i.attrs.jid as string);
const isPush = (name: 'block' | 'unblock') => (el: Element): boolean => el.is('iq') && el.attrs.type === 'set' && !!el.getChild(name, NS);
const chat = (to: string, body: string) => xml('message', { to, type: 'chat', id: body }, xml('body', {}, body));
const isMessage = (body: string) => (el: Element): boolean => el.is('message') && el.getChildText('body') === body;

test('alice blocks bob: pushes to her resources that asked for the list, and nothing passes either way', async () => {
  const desk = await login(server, 'alice', 'desk');
  const phone = await login(server, 'alice', 'phone');
  const idle = await login(server, 'alice', 'idle'); // never asks for the list: no pushes (§3.3)
  const bob = await login(server, 'bob', 'desk');
  for (const c of [desk, phone, idle, bob]) await c.xmpp.send(xml('presence'));
  assert.deepEqual(await blocklist(desk), []);
  assert.deepEqual(await blocklist(phone), []);

  assert.equal((await iq(desk, 'set', xml('block', { xmlns: NS }, ...items('bob@localhost')))).attrs.type, 'result');
  for (const c of [desk, phone]) {
    const push = await c.next(isPush('block'));
    assert.deepEqual(push.getChild('block', NS)?.getChildren('item').map((i) => i.attrs.jid), ['bob@localhost']);
  }
  assert.deepEqual(await blocklist(phone), ['bob@localhost']);

  // Bob writes to her bare and full JIDs: nothing arrives, he gets service-unavailable (§3.3).
  await bob.xmpp.send(chat('alice@localhost', 'b1'));
  const e1 = await bob.next((el) => el.is('message') && el.attrs.type === 'error' && el.attrs.id === 'b1');
  assert.equal(condition(e1), 'service-unavailable');
  await bob.xmpp.send(chat('alice@localhost/phone', 'b2'));
  assert.equal(condition(await bob.next((el) => el.attrs.type === 'error' && el.attrs.id === 'b2')), 'service-unavailable');
  const ping = await iq(bob, 'get', xml('ping', { xmlns: 'urn:xmpp:ping' }), 'alice@localhost/desk');
  assert.equal(condition(ping), 'service-unavailable', 'an IQ get from a blocked JID');
  await bob.xmpp.send(xml('presence', { to: 'alice@localhost/desk' }));

  // Alice writes to him: refused with not-acceptable and <blocked/>, not delivered.
  await desk.xmpp.send(chat('bob@localhost', 'a1'));
  const refused = await desk.next((el) => el.is('message') && el.attrs.type === 'error' && el.attrs.id === 'a1');
  assert.equal(condition(refused), 'not-acceptable');
  assert.ok(refused.getChild('error')?.getChild('blocked', NS_ERRORS), '<blocked/> application condition');
  await settle();
  for (const c of [desk, phone, idle]) {
    assert.ok(!c.received.some((el) => el.attrs.from?.startsWith('bob@localhost')), 'nothing of bob reaches alice');
  }
  assert.ok(!idle.received.some(isPush('block')), 'a resource that never asked gets no push');
  assert.ok(!bob.received.some(isMessage('a1')));
  await Promise.all([desk.stop(), phone.stop(), idle.stop(), bob.stop()]);
});

test('while alice is offline bob\'s message is refused, not stored for later', async () => {
  const bob = await login(server, 'bob', 'desk');
  await bob.xmpp.send(chat('alice@localhost', 'while-away'));
  assert.equal(condition(await bob.next((el) => el.attrs.type === 'error' && el.attrs.id === 'while-away')), 'service-unavailable');
  await bob.stop();
  const a = await login(server, 'alice', 'desk');
  await a.xmpp.send(xml('presence'));
  await settle(400);
  assert.ok(!a.received.some(isMessage('while-away')));
  await a.stop();
});

test('bad items change nothing: malformed JID → jid-malformed, no item → bad-request; another user → forbidden', async () => {
  const a = await login(server, 'alice', 'desk');
  for (const bad of ['@localhost', 'a@b@c', '', 'carol@']) {
    const answer = await iq(a, 'set', xml('block', { xmlns: NS }, ...items('carol@localhost', bad)));
    assert.equal(condition(answer), 'jid-malformed', `'${bad}'`);
  }
  assert.equal(condition(await iq(a, 'set', xml('block', { xmlns: NS }, xml('item')))), 'bad-request');
  assert.equal(condition(await iq(a, 'set', xml('block', { xmlns: NS }))), 'bad-request');
  assert.equal(condition(await iq(a, 'set', xml('unblock', { xmlns: NS }, ...items('x@y/')))), 'jid-malformed');
  assert.deepEqual(await blocklist(a), ['bob@localhost']);
  const c = await login(server, 'carol', 'desk');
  assert.equal(condition(await iq(c, 'get', xml('blocklist', { xmlns: NS }), 'alice@localhost')), 'forbidden');
  assert.equal(condition(await iq(c, 'set', xml('unblock', { xmlns: NS }), 'alice@localhost')), 'forbidden');
  await Promise.all([a.stop(), c.stop()]);
});

test('the list survives a restart and is still enforced; unblock restores both ways', async () => {
  await server.stop();
  server = await startServer({ reuseDir: server.dir, modules: { mod_blocking: { max_blocklist_items: MAX_ITEMS } } });
  const desk = await login(server, 'alice', 'desk');
  const phone = await login(server, 'alice', 'phone');
  const bob = await login(server, 'bob', 'desk');
  for (const c of [desk, phone, bob]) await c.xmpp.send(xml('presence'));
  assert.deepEqual(await blocklist(desk), ['bob@localhost']);
  await blocklist(phone);
  await bob.xmpp.send(chat('alice@localhost/desk', 'after-restart'));
  assert.equal(condition(await bob.next((el) => el.attrs.type === 'error' && el.attrs.id === 'after-restart')), 'service-unavailable');

  assert.equal((await iq(desk, 'set', xml('unblock', { xmlns: NS }, ...items('bob@localhost')))).attrs.type, 'result');
  const push = await phone.next(isPush('unblock'));
  assert.deepEqual(push.getChild('unblock', NS)?.getChildren('item').map((i) => i.attrs.jid), ['bob@localhost']);
  await bob.xmpp.send(chat('alice@localhost/desk', 'hello-again'));
  assert.equal((await desk.next(isMessage('hello-again'))).attrs.from, 'bob@localhost/desk');
  await desk.xmpp.send(chat('bob@localhost/desk', 'welcome-back'));
  await bob.next(isMessage('welcome-back'));
  assert.deepEqual(await blocklist(desk), []);
  await Promise.all([desk.stop(), phone.stop(), bob.stop()]);
});

test('domain and full-JID items; unblock-all empties the list and is pushed without items; the size bound', async () => {
  const a = await login(server, 'dave', 'desk');
  const c = await login(server, 'carol', 'desk');
  await a.xmpp.send(xml('presence'));
  await blocklist(a);
  assert.equal((await iq(a, 'set', xml('block', { xmlns: NS }, ...items('carol@localhost/elsewhere', 'example.org')))).attrs.type, 'result');
  await c.xmpp.send(chat('dave@localhost/desk', 'from-other-resource'));
  await a.next(isMessage('from-other-resource')); // only carol/elsewhere is blocked
  await a.xmpp.send(chat('user@example.org', 'to-blocked-domain'));
  assert.equal(condition(await a.next((el) => el.attrs.type === 'error' && el.attrs.id === 'to-blocked-domain')), 'not-acceptable');
  assert.equal((await iq(a, 'set', xml('unblock', { xmlns: NS }))).attrs.type, 'result');
  const push = await a.next(isPush('unblock'));
  assert.equal(push.getChild('unblock', NS)?.children.length, 0);
  assert.deepEqual(await blocklist(a), []);
  const tooMany = await iq(a, 'set', xml('block', { xmlns: NS }, ...items('a@x', 'b@x', 'c@x', 'd@x')));
  assert.equal(condition(tooMany), 'policy-violation', `max_blocklist_items: ${MAX_ITEMS}`);
  assert.deepEqual(await blocklist(a), []);
  await Promise.all([a.stop(), c.stop()]);
});

test('a subscribed contact sees the blocker go unavailable, no presence either way, and the current one back on unblock', async () => {
  const e = await login(server, 'erin', 'desk');
  const f = await login(server, 'frank', 'desk');
  for (const c of [e, f]) await c.xmpp.send(xml('presence'));
  for (const [from, to, toJid, fromJid] of [[e, f, 'frank@localhost', 'erin@localhost'], [f, e, 'erin@localhost', 'frank@localhost']] as const) {
    await from.xmpp.send(xml('presence', { to: toJid, type: 'subscribe' }));
    await to.next((el) => el.is('presence') && el.attrs.type === 'subscribe');
    await to.xmpp.send(xml('presence', { to: fromJid, type: 'subscribed' }));
    await from.next((el) => el.is('presence') && el.attrs.type === undefined && el.attrs.from === `${toJid}/desk`);
  }
  const fromErin = (el: Element): boolean => el.is('presence') && el.attrs.from === 'erin@localhost/desk';
  const fromFrank = (el: Element): boolean => el.is('presence') && el.attrs.from === 'frank@localhost/desk';

  assert.equal((await iq(e, 'set', xml('block', { xmlns: NS }, ...items('frank@localhost')))).attrs.type, 'result');
  assert.equal((await f.next(fromErin)).attrs.type, 'unavailable', 'the blocked contact sees her go offline (§3.3)');
  await e.xmpp.send(xml('presence', {}, xml('show', {}, 'away')));
  await f.xmpp.send(xml('presence', {}, xml('show', {}, 'dnd')));
  await settle();
  assert.ok(!f.received.some(fromErin), "her broadcast does not reach him");
  assert.ok(!e.received.some(fromFrank), "his does not reach her");

  assert.equal((await iq(e, 'set', xml('unblock', { xmlns: NS }, ...items('frank@localhost')))).attrs.type, 'result');
  assert.equal((await f.next(fromErin)).getChildText('show'), 'away', 'her current presence, again (§3.4)');
  await f.xmpp.send(xml('presence', {}, xml('show', {}, 'chat')));
  assert.equal((await e.next(fromFrank)).getChildText('show'), 'chat');
  await Promise.all([e.stop(), f.stop()]);
});

test('troupectl unregister deletes the blocklist', async () => {
  const a = await login(server, 'carol', 'desk');
  assert.equal((await iq(a, 'set', xml('block', { xmlns: NS }, ...items('dave@localhost')))).attrs.type, 'result');
  await a.stop();
  assert.equal((await server.ctl(['unregister', 'carol', 'localhost'])).code, 0);
  await register(server, 'carol');
  const again = await login(server, 'carol', 'desk');
  assert.deepEqual(await blocklist(again), []);
  await again.stop();
});
