/**
 * mod_private end to end (XEP-0049): alice stores and reads her fragments, by name and
 * namespace; bob cannot touch them; reserved namespaces, empty queries and a full store are
 * refused; the data survives a restart and goes with the account (XEP-0077 <remove/>).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { startServer, type TestServer } from '../support/server.js';
import { xml } from '../support/xmpp.js';
import { condition, iq, login, register, settle } from '../support/im.js';

const NS_PRIVATE = 'jabber:iq:private';
const LIMIT = 4096;

let server: TestServer;
const start = (reuseDir?: string) => startServer({ ...(reuseDir ? { reuseDir } : {}), modules: { mod_private: { max_private_size: LIMIT } } });

before(async () => {
  server = await start();
  await register(server, 'alice', 'bob', 'carol');
});

after(async () => {
  await server?.stop();
});

const query = (...children: Element[]) => xml('query', { xmlns: NS_PRIVATE }, ...children);
const prefs = (nick?: string) => xml('exodus', { xmlns: 'exodus:prefs' }, ...(nick ? [xml('defaultnick', {}, nick)] : []));
const fragment = (answer: Element, name: string, ns: string) => answer.getChild('query', NS_PRIVATE)?.getChild(name, ns);

test('a fragment stored is read back; one never stored comes back as asked', async () => {
  const a = await login(server, 'alice', 'desk');
  assert.equal((await iq(a, 'set', query(prefs('Hamlet'), xml('storage', { xmlns: 'storage:bookmarks' }, xml('conference', { jid: 'r@muc.localhost' }))))).attrs.type, 'result');
  const got = await iq(a, 'get', query(prefs()));
  assert.equal(got.attrs.type, 'result');
  assert.equal(fragment(got, 'exodus', 'exodus:prefs')?.getChildText('defaultnick'), 'Hamlet');
  const bookmarks = await iq(a, 'get', query(xml('storage', { xmlns: 'storage:bookmarks' })));
  assert.equal(fragment(bookmarks, 'storage', 'storage:bookmarks')?.getChild('conference')?.attrs.jid, 'r@muc.localhost');
  // Same namespace, another element name: another key.
  const other = await iq(a, 'get', query(xml('other', { xmlns: 'exodus:prefs' })));
  assert.equal(other.attrs.type, 'result');
  assert.equal(fragment(other, 'other', 'exodus:prefs')?.children.length, 0);
  // Replaced, not merged.
  assert.equal((await iq(a, 'set', query(prefs('Ophelia')))).attrs.type, 'result');
  assert.equal(fragment(await iq(a, 'get', query(prefs())), 'exodus', 'exodus:prefs')?.getChildText('defaultnick'), 'Ophelia');
  await a.stop();
});

test("another user's private storage is forbidden, for get and set", async () => {
  const b = await login(server, 'bob', 'desk');
  assert.equal(condition(await iq(b, 'get', query(prefs()), 'alice@localhost')), 'forbidden');
  assert.equal(condition(await iq(b, 'set', query(prefs('Macbeth')), 'alice@localhost')), 'forbidden');
  await b.stop();
  const a = await login(server, 'alice', 'desk');
  assert.equal(fragment(await iq(a, 'get', query(prefs())), 'exodus', 'exodus:prefs')?.getChildText('defaultnick'), 'Ophelia');
  await a.stop();
});

test('reserved namespaces are not-acceptable, an empty query bad-request', async () => {
  const a = await login(server, 'alice', 'desk');
  assert.equal(condition(await iq(a, 'set', query(xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Hamlet'))))), 'not-acceptable');
  assert.equal(condition(await iq(a, 'get', query(xml('query', { xmlns: 'jabber:iq:roster' })))), 'not-acceptable');
  assert.equal(condition(await iq(a, 'get', query())), 'bad-request');
  await a.stop();
});

test(`past max_private_size (${LIMIT} bytes here) a set is policy-violation and nothing of it is stored`, async () => {
  const c = await login(server, 'carol', 'desk');
  const blob = (name: string, size: number) => xml(name, { xmlns: 'urn:test:blob' }, 'x'.repeat(size));
  assert.equal(condition(await iq(c, 'set', query(blob('one', LIMIT + 1)))), 'policy-violation');
  assert.equal((await iq(c, 'set', query(blob('one', 2500)))).attrs.type, 'result');
  const second = await iq(c, 'set', query(blob('two', 2500), prefs('Carol')));
  assert.equal(condition(second), 'policy-violation', 'the total counts');
  assert.equal(fragment(await iq(c, 'get', query(prefs())), 'exodus', 'exodus:prefs')?.children.length, 0, 'all or nothing');
  assert.equal((await iq(c, 'set', query(blob('one', 10)))).attrs.type, 'result', 'a replacement frees its old size');
  assert.equal((await iq(c, 'set', query(blob('two', 2500)))).attrs.type, 'result');
  await c.stop();
});

test('private data survives a restart and goes with the account (in-band <remove/>)', async () => {
  await server.stop();
  server = await start(server.dir);
  const a = await login(server, 'alice', 'desk');
  assert.equal(fragment(await iq(a, 'get', query(prefs())), 'exodus', 'exodus:prefs')?.getChildText('defaultnick'), 'Ophelia');
  // mod_register closes the session as it removes the account, so the result may never arrive.
  await a.xmpp.send(xml('iq', { type: 'set', id: 'unreg' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))));
  await a.stop();
  let registered = false;
  for (let i = 0; i < 40 && !registered; i++) {
    registered = (await server.ctl(['register', 'alice', 'localhost', 'alice-pw'])).code === 0;
    if (!registered) await settle(100);
  }
  assert.ok(registered, 'the account was removed');
  await settle(200);
  const again = await login(server, 'alice', 'desk');
  assert.equal(fragment(await iq(again, 'get', query(prefs())), 'exodus', 'exodus:prefs')?.children.length, 0);
  await again.stop();
});
