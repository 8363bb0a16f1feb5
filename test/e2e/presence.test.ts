/**
 * Presence subscriptions and broadcast end to end (RFC 6121 §3, §4): the full subscription
 * dance, a request to an offline user kept for the next login, pre-approval, cancelling and
 * removing, probes at login, unavailable when a connection drops.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { startServer, type TestServer } from '../support/server.js';
import { xml, type TestClient } from '../support/xmpp.js';
import { isPresence, isPush, items, login, pushedItem, register, rosterGet, rosterSet, settle } from '../support/im.js';

let server: TestServer;
// A dropped stream-managed session waits for a resume (XEP-0198) before it ends: keep that short here.
const config = { c2s: { stream_management: { resume_timeout: 1 } } };

before(async () => {
  server = await startServer(config);
  await register(server, 'alice', 'bob', 'eve', 'frank', 'gina', 'hank', 'ivy', 'jo', 'kim', 'lee', 'max', 'nina', 'olga');
});

after(async () => {
  await server?.stop();
});

/** Logs in, requests the roster (interested) and sends initial presence (available). */
async function online(user: string, resource: string): Promise<TestClient> {
  const c = await login(server, user, resource);
  await rosterGet(c);
  await c.xmpp.send(xml('presence'));
  await c.next(isPresence(`${user}@localhost/${resource}`)); // its own presence, reflected (§4.2.2)
  return c;
}

const subscription = (push: Element): string => `${pushedItem(push).attrs.subscription}${pushedItem(push).attrs.ask ? '+ask' : ''}`;

/** The subscription part of RFC 6121 §3.1, from `a` to `b`, with the pushes and presences each side sees. */
async function subscribe(a: TestClient, aJid: string, b: TestClient, bJid: string, expectAfter: [string, string]): Promise<void> {
  await a.xmpp.send(xml('presence', { to: bJid, type: 'subscribe' }));
  assert.match(subscription(await a.next(isPush(bJid))), /\+ask$/, 'the requester sees its request pending (§3.1.2)');
  const request = await b.next(isPresence(aJid, 'subscribe'));
  assert.equal(request.attrs.from, aJid, 'stamped with the bare JID (§3.1.2)');
  await b.xmpp.send(xml('presence', { to: aJid, type: 'subscribed' }));
  assert.equal(subscription(await b.next(isPush(aJid))), expectAfter[1], 'the contact now has a subscriber (§3.1.5)');
  assert.equal(subscription(await a.next(isPush(bJid))), expectAfter[0], 'the requester is subscribed (§3.1.6)');
  await a.next(isPresence(bJid, 'subscribed'));
  await a.next((el) => el.is('presence') && el.attrs.type === undefined && (el.attrs.from ?? '').startsWith(`${bJid}/`));
}

test('the subscription dance: both ways, ending in both on both rosters', async () => {
  const a = await online('alice', 'desk');
  const b = await online('bob', 'desk');
  await subscribe(a, 'alice@localhost', b, 'bob@localhost', ['to', 'from']);
  await subscribe(b, 'bob@localhost', a, 'alice@localhost', ['both', 'both']);
  await settle();
  assert.equal(items(await rosterGet(a)).get('bob@localhost')?.attrs.subscription, 'both');
  assert.equal(items(await rosterGet(b)).get('alice@localhost')?.attrs.subscription, 'both');
  // Presence now flows both ways.
  await a.xmpp.send(xml('presence', {}, xml('show', {}, 'away')));
  const away = await b.next((el) => isPresence('alice@localhost/desk')(el) && el.getChildText('show') === 'away');
  assert.equal(away.attrs.to, 'bob@localhost');
  await Promise.all([a.stop(), b.stop()]);
  // The stored rosters, after a restart.
  await server.stop();
  server = await startServer({ reuseDir: server.dir, ...config });
  const a2 = await login(server, 'alice', 'check');
  assert.equal(items(await rosterGet(a2)).get('bob@localhost')?.attrs.subscription, 'both');
  await a2.stop();
});

test('unsubscribe and remove (§3.3, §2.5.2): each side is pushed and told', async () => {
  const e = await online('eve', 'desk');
  const f = await online('frank', 'desk');
  await subscribe(e, 'eve@localhost', f, 'frank@localhost', ['to', 'from']);
  await subscribe(f, 'frank@localhost', e, 'eve@localhost', ['both', 'both']);
  await e.xmpp.send(xml('presence', { to: 'frank@localhost', type: 'unsubscribe' }));
  assert.equal(subscription(await e.next(isPush('frank@localhost'))), 'from');
  assert.equal(subscription(await f.next(isPush('eve@localhost'))), 'to');
  await f.next(isPresence('eve@localhost', 'unsubscribe'));
  await e.next(isPresence('frank@localhost/desk', 'unavailable')); // frank's presence stops (§3.3.3)
  await rosterSet(e, { jid: 'frank@localhost', subscription: 'remove' });
  assert.equal(pushedItem(await e.next(isPush('frank@localhost'))).attrs.subscription, 'remove');
  assert.equal(subscription(await f.next(isPush('eve@localhost'))), 'none');
  await f.next(isPresence('eve@localhost', 'unsubscribed'));
  await f.next(isPresence('eve@localhost/desk', 'unavailable'));
  await Promise.all([e.stop(), f.stop()]);
});

test('a request to an offline user is kept and delivered at each login until answered (§3.1.3)', async () => {
  const a = await online('alice', 'ask');
  await a.xmpp.send(xml('presence', { to: 'gina@localhost', type: 'subscribe' }, xml('status', {}, 'hi gina')));
  await a.next(isPush('gina@localhost'));
  await settle();
  for (const round of [1, 2]) {
    const g = await login(server, 'gina', `r${round}`);
    const got = g.next(isPresence('alice@localhost', 'subscribe'));
    await g.xmpp.send(xml('presence'));
    assert.equal((await got).getChildText('status'), 'hi gina');
    assert.ok(!items(await rosterGet(g)).has('alice@localhost'), 'a pending request is not a roster item');
    await g.stop();
  }
  await a.stop();
});

test('a subscribe to a user that does not exist is answered unsubscribed (§3.1.3)', async () => {
  const a = await online('alice', 'ghost');
  await a.xmpp.send(xml('presence', { to: 'nobody@localhost', type: 'subscribe' }));
  await a.next(isPresence('nobody@localhost', 'unsubscribed'));
  await a.stop();
});

test('pre-approval (§3.4): the request is approved by the server', async () => {
  const h = await online('hank', 'desk');
  const i = await online('ivy', 'desk');
  await h.xmpp.send(xml('presence', { to: 'ivy@localhost', type: 'subscribed' }));
  const pre = pushedItem(await h.next(isPush('ivy@localhost')));
  assert.equal(pre.attrs.approved, 'true');
  assert.equal(pre.attrs.subscription, 'none');
  await i.xmpp.send(xml('presence', { to: 'hank@localhost', type: 'subscribe' }));
  assert.equal(subscription(await h.next(isPush('ivy@localhost'))), 'from');
  await i.next(isPresence('hank@localhost', 'subscribed'));
  await i.next(isPresence('hank@localhost/desk'));
  await settle();
  assert.ok(!h.received.some(isPresence('ivy@localhost', 'subscribe')), 'not shown to hank');
  await Promise.all([h.stop(), i.stop()]);
});

test('probes at login (§4.2.2, §4.3): a returning user gets its contacts’ presence, and they get its', async () => {
  const j = await online('jo', 'desk');
  const k = await online('kim', 'desk');
  await subscribe(j, 'jo@localhost', k, 'kim@localhost', ['to', 'from']);
  await subscribe(k, 'kim@localhost', j, 'jo@localhost', ['both', 'both']);
  await j.stop();
  await k.next(isPresence('jo@localhost/desk', 'unavailable'));
  const j2 = await login(server, 'jo', 'laptop');
  await j2.xmpp.send(xml('presence', {}, xml('status', {}, 'back')));
  const kims = await j2.next(isPresence('kim@localhost/desk'));
  assert.equal(kims.attrs.type, undefined, "the probe's answer: kim is available");
  const jos = await k.next(isPresence('jo@localhost/laptop'));
  assert.equal(jos.getChildText('status'), 'back');
  // A contact with no available resource answers the probe with unavailable (§4.3.2).
  await k.stop();
  await j2.next(isPresence('kim@localhost/desk', 'unavailable'));
  const j3 = await login(server, 'jo', 'phone');
  await j3.xmpp.send(xml('presence'));
  await j3.next(isPresence('kim@localhost', 'unavailable'));
  await Promise.all([j2.stop(), j3.stop()]);
});

test('unavailable is broadcast when a connection drops (§4.5.2), once the session is over', async () => {
  const l = await online('lee', 'fragile');
  const m = await online('max', 'watcher');
  await subscribe(m, 'max@localhost', l, 'lee@localhost', ['to', 'from']); // max sees lee's presence
  l.xmpp.socket?.socket?.destroy(); // no </stream>, no unavailable: the TCP connection is just gone
  // The session ends when its resume window (XEP-0198, 1 s here) closes, or at once without stream management.
  const gone = await m.next(isPresence('lee@localhost/fragile', 'unavailable'), 8000);
  assert.equal(gone.attrs.to, 'max@localhost');
  await m.stop();
  await l.stop();
});

test('directed presence (§4.6): the entity gets it without a subscription, and unavailable when the session ends', async () => {
  const n = await online('nina', 'desk');
  const o = await online('olga', 'desk');
  await n.xmpp.send(xml('presence', { to: 'olga@localhost' }, xml('status', {}, 'just for you')));
  const direct = await o.next(isPresence('nina@localhost/desk'));
  assert.equal(direct.getChildText('status'), 'just for you');
  await n.stop(); // closes the stream without an unavailable of its own
  await o.next(isPresence('nina@localhost/desk', 'unavailable'));
  await o.stop();
});
