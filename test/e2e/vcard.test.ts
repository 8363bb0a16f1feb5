/**
 * mod_vcard end to end (XEP-0054, XEP-0153): alice sets her vCard with a photo, reads it back,
 * bob reads it; the avatar hash rides in alice's presence; limits, errors, a restart, removal.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Element } from 'ltx';
import { startServer, type TestServer } from '../support/server.js';
import { xml } from '../support/xmpp.js';
import { condition, iq, login, register, settle } from '../support/im.js';

const NS_VCARD = 'vcard-temp';
const NS_UPDATE = 'vcard-temp:x:update';
const image = Buffer.from('GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,', 'latin1');
const hash = createHash('sha1').update(image).digest('hex');

let server: TestServer;

before(async () => {
  server = await startServer();
  await register(server, 'alice', 'bob', 'carol');
});

after(async () => {
  await server?.stop();
});

const vcard = (fn: string, binval?: string) =>
  xml('vCard', { xmlns: NS_VCARD }, xml('FN', {}, fn), ...(binval === undefined ? [] : [xml('PHOTO', {}, xml('TYPE', {}, 'image/gif'), xml('BINVAL', {}, binval))]));
const photoIn = (p: Element) => p.getChild('x', NS_UPDATE)?.getChildText('photo');

test('alice sets her vCard, reads it back; bob reads it at her bare JID; he may not set it', async () => {
  const a = await login(server, 'alice', 'desk');
  const b = await login(server, 'bob', 'desk');
  const set = await iq(a, 'set', vcard('Alice', image.toString('base64')));
  assert.equal(set.attrs.type, 'result');
  const own = (await iq(a, 'get', xml('vCard', { xmlns: NS_VCARD }))).getChild('vCard', NS_VCARD);
  assert.equal(own?.getChildText('FN'), 'Alice');
  assert.equal(own?.getChild('PHOTO')?.getChildText('BINVAL'), image.toString('base64'));
  const seen = await iq(b, 'get', xml('vCard', { xmlns: NS_VCARD }), 'alice@localhost');
  assert.equal(seen.attrs.type, 'result');
  assert.equal(seen.attrs.from, 'alice@localhost', 'answered by the server for her bare JID');
  assert.equal(seen.getChild('vCard', NS_VCARD)?.getChildText('FN'), 'Alice');
  const forged = await iq(b, 'set', vcard('Mallory'), 'alice@localhost');
  assert.equal(condition(forged), 'forbidden');
  assert.equal((await iq(a, 'get', xml('vCard', { xmlns: NS_VCARD }))).getChild('vCard', NS_VCARD)?.getChildText('FN'), 'Alice');
  await Promise.all([a.stop(), b.stop()]);
});

test('no vCard: an empty one for oneself, item-not-found for another user (or no user)', async () => {
  const c = await login(server, 'carol', 'desk');
  const own = await iq(c, 'get', xml('vCard', { xmlns: NS_VCARD }));
  assert.equal(own.attrs.type, 'result');
  assert.equal(own.getChild('vCard', NS_VCARD)?.children.length, 0);
  assert.equal(condition(await iq(c, 'get', xml('vCard', { xmlns: NS_VCARD }), 'bob@localhost')), 'item-not-found');
  assert.equal(condition(await iq(c, 'get', xml('vCard', { xmlns: NS_VCARD }), 'nobody@localhost')), 'item-not-found');
  await c.stop();
});

test("the avatar hash is stamped into alice's presence, replacing the client's", async () => {
  const b = await login(server, 'bob', 'desk');
  const a = await login(server, 'alice', 'desk');
  // Broadcast presence with a stale hash; its stamped copy is what sm keeps for her other resources.
  await a.xmpp.send(xml('presence', {}, xml('x', { xmlns: NS_UPDATE }, xml('photo', {}, 'stale'))));
  await a.xmpp.send(xml('presence', { to: 'bob@localhost/desk' }, xml('status', {}, 'hi')));
  const directed = await b.next((el) => el.is('presence') && el.attrs.from === 'alice@localhost/desk');
  assert.equal(photoIn(directed), hash);
  assert.equal(directed.getChildText('status'), 'hi');
  const phone = await login(server, 'alice', 'phone');
  await phone.xmpp.send(xml('presence'));
  const fromDesk = await phone.next((el) => el.is('presence') && el.attrs.from === 'alice@localhost/desk');
  assert.equal(photoIn(fromDesk), hash);
  assert.equal(fromDesk.getChildren('x', NS_UPDATE).length, 1, 'the stale one is gone');

  // A new vCard without a photo: the next presence says "no avatar" (an empty <photo/>).
  assert.equal((await iq(a, 'set', vcard('Alice'))).attrs.type, 'result');
  await a.xmpp.send(xml('presence', { to: 'bob@localhost/desk' }));
  const next = await b.next((el) => el.is('presence') && el.attrs.from === 'alice@localhost/desk');
  assert.equal(photoIn(next), '');
  await Promise.all([a.stop(), b.stop(), phone.stop()]);
});

test('a vCard over max_vcard_size (64 KiB by default) is refused with policy-violation and not stored', async () => {
  const a = await login(server, 'alice', 'big');
  assert.equal((await iq(a, 'set', vcard('Alice', image.toString('base64')))).attrs.type, 'result');
  const huge = Buffer.alloc(50 * 1024, 7).toString('base64'); // ~68 KiB of base64: within the stanza limit
  const answer = await iq(a, 'set', vcard('Huge', huge));
  assert.equal(answer.attrs.type, 'error');
  assert.equal(condition(answer), 'policy-violation');
  const kept = (await iq(a, 'get', xml('vCard', { xmlns: NS_VCARD }))).getChild('vCard', NS_VCARD);
  assert.equal(kept?.getChildText('FN'), 'Alice');
  assert.equal(condition(await iq(a, 'set', xml('vcard', { xmlns: NS_VCARD }))), 'bad-request', 'the element is <vCard/>');
  await a.stop();
});

test('the vCard survives a restart; unregistering the account deletes it', async () => {
  await server.stop();
  server = await startServer({ reuseDir: server.dir });
  const b = await login(server, 'bob', 'desk');
  const seen = await iq(b, 'get', xml('vCard', { xmlns: NS_VCARD }), 'alice@localhost');
  assert.equal(seen.getChild('vCard', NS_VCARD)?.getChild('PHOTO')?.getChildText('BINVAL'), image.toString('base64'));
  const a = await login(server, 'alice', 'desk');
  await a.xmpp.send(xml('presence', { to: 'bob@localhost/desk' }));
  assert.equal(photoIn(await b.next((el) => el.is('presence') && el.attrs.from === 'alice@localhost/desk')), hash);
  await a.stop();

  assert.equal((await server.ctl(['unregister', 'alice', 'localhost'])).code, 0);
  await register(server, 'alice');
  await settle(100);
  assert.equal(condition(await iq(b, 'get', xml('vCard', { xmlns: NS_VCARD }), 'alice@localhost')), 'item-not-found');
  await b.stop();
});
