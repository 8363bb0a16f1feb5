/**
 * XEP-0092 software version and XEP-0012 last activity end to end: the server's name and
 * version (the OS only when configured), its uptime, and a user's last unavailable presence,
 * seen by the user and its subscribers only.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, startServer, type TestServer } from '../support/server.js';
import { rawSession, xml, type TestClient } from '../support/xmpp.js';
import { approveSubscription, condition, iq, isPresence, login, online, register, settle } from '../support/im.js';

const NS_VERSION = 'jabber:iq:version';
const NS_LAST = 'jabber:iq:last';

let server: TestServer;
let withOs: TestServer;

before(async () => {
  [server, withOs] = await Promise.all([startServer(), startServer({ modules: { mod_version: { show_os: true } } })]);
  await register(server, 'alice', 'bob', 'carol');
  await register(withOs, 'alice');
});

after(async () => {
  await Promise.all([server?.stop(), withOs?.stop()]);
});

const version = (c: TestClient, type: 'get' | 'set' = 'get') => iq(c, type, xml('query', { xmlns: NS_VERSION }), 'localhost');
const last = (c: TestClient, to: string, type: 'get' | 'set' = 'get') => iq(c, type, xml('query', { xmlns: NS_LAST }), to);

test('software version: Troupe, the version of package.json, no OS unless show_os', async () => {
  const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const alice = await login(server, 'alice', 'v');
  const query = (await version(alice)).getChild('query', NS_VERSION);
  assert.equal(query?.getChildText('name'), 'Troupe');
  assert.equal(query?.getChildText('version'), pkg.version);
  assert.equal(query?.getChild('os'), undefined);
  assert.equal(condition(await version(alice, 'set')), 'not-allowed');
  assert.equal(condition(await iq(alice, 'get', xml('query', { xmlns: NS_VERSION }), 'alice@localhost')), 'service-unavailable', 'the server only');
  await alice.stop();
  const other = await login(withOs, 'alice', 'v');
  assert.ok((await version(other)).getChild('query', NS_VERSION)?.getChildText('os'));
  await other.stop();
});

test('last activity of the server: its uptime; set → not-allowed', async () => {
  const alice = await login(server, 'alice', 'up');
  const seconds = Number((await last(alice, 'localhost')).getChild('query', NS_LAST)?.attrs.seconds);
  assert.ok(Number.isInteger(seconds) && seconds >= 0 && seconds < 600, `uptime ${seconds}`);
  assert.equal(condition(await last(alice, 'localhost', 'set')), 'not-allowed');
  await alice.stop();
});


test("a user's last activity: 0 while online; after logout the seconds and the status; forbidden to strangers", async () => {
  const alice = await online(server, 'alice', 'home');
  const bob = await online(server, 'bob', 'home');
  const carol = await online(server, 'carol', 'home');
  // bob subscribes to alice's presence (alice's roster: bob, subscription from).
  await approveSubscription(bob, 'bob@localhost', alice, 'alice@localhost');

  assert.equal((await last(bob, 'alice@localhost')).getChild('query', NS_LAST)?.attrs.seconds, '0', 'online');
  assert.equal((await last(alice, 'alice@localhost')).getChild('query', NS_LAST)?.attrs.seconds, '0', 'the user itself');
  assert.equal(condition(await last(carol, 'alice@localhost')), 'forbidden', 'not subscribed');
  assert.equal(condition(await last(carol, 'nobody@localhost')), 'forbidden');
  assert.equal(condition(await last(bob, 'alice@localhost', 'set')), 'not-allowed');

  await alice.xmpp.send(xml('presence', { type: 'unavailable' }, xml('status', {}, 'Gone fishing')));
  await bob.next(isPresence('alice@localhost/home', 'unavailable'));
  await alice.stop();
  await settle(2100);
  const query = (await last(bob, 'alice@localhost')).getChild('query', NS_LAST);
  const seconds = Number(query?.attrs.seconds);
  assert.ok(seconds >= 2 && seconds < 10, `${seconds} s since`);
  assert.equal(query?.getText(), 'Gone fishing');
  assert.equal(condition(await last(carol, 'alice@localhost')), 'forbidden');
  await Promise.all([bob.stop(), carol.stop()]);
});

test('a connection that drops while available counts as the last activity, without status', async () => {
  const dropped = await rawSession(server.ports.c2s_tls, 'bob', 'bob-pw', 'drop');
  dropped.write('<presence/>');
  await dropped.read((t) => /<presence[^>]*from=["']bob@localhost\/drop["']/.test(t));
  dropped.end(); // the socket goes, no unavailable presence, no closing tag
  await settle(1100);
  const bob = await login(server, 'bob', 'again'); // no presence: not available
  const query = (await last(bob, 'bob@localhost')).getChild('query', NS_LAST);
  assert.ok(Number(query?.attrs.seconds) >= 1, `seconds ${query?.attrs.seconds}`);
  assert.equal(query?.getText(), '');
  await bob.stop();
});
