/**
 * mod_http_upload end to end (XEP-0363): the server lists upload.localhost, whose disco#info
 * gives max-file-size; alice gets a slot, PUTs a file and anyone GETs the same bytes, stored
 * under the data dir; an oversized request is file-too-large; a PUT with the wrong length,
 * a second PUT on a used slot, an expired or tampered URL, a wrong Content-Type are refused
 * with their HTTP status; the quota holds.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Element } from 'ltx';
import { startServer, type TestServer } from '../support/server.js';
import { xml, type TestClient } from '../support/xmpp.js';
import { condition, iq, login, register } from '../support/im.js';
import { signPut } from '../../src/upload/slot.js';

const NS_UPLOAD = 'urn:xmpp:http:upload:0';
const MAX = 4096;
const QUOTA = 6000;

let server: TestServer;
let alice: TestClient;

before(async () => {
  server = await startServer({ modules: { mod_http_upload: { max_size: MAX, quota: QUOTA } } });
  await register(server, 'alice');
  alice = await login(server, 'alice', 'phone');
});

after(async () => {
  await alice?.stop();
  await server?.stop();
});

const requestSlot = (filename: string, size: number, contentType?: string): Promise<Element> =>
  iq(alice, 'get', xml('request', { xmlns: NS_UPLOAD, filename, size: String(size), 'content-type': contentType }), 'upload.localhost');

async function slot(filename: string, size: number, contentType?: string): Promise<{ put: string; get: string }> {
  const answer = await requestSlot(filename, size, contentType);
  const s = answer.getChild('slot', NS_UPLOAD);
  assert.ok(s, answer.toString());
  return { put: s.getChild('put')?.attrs.url as string, get: s.getChild('get')?.attrs.url as string };
}

const put = (url: string, body: Buffer, contentType = 'image/png') =>
  fetch(url, { method: 'PUT', body, headers: { 'Content-Type': contentType } });

const bytes = (n: number, seed = 7): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * seed + 3) % 256));

test('the server lists the service; its disco#info gives max-file-size', async () => {
  const items = await iq(alice, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }), 'localhost');
  assert.ok(items.getChild('query')?.getChildren('item').some((i) => i.attrs.jid === 'upload.localhost'));
  const info = (await iq(alice, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), 'upload.localhost')).getChild('query') as Element;
  assert.ok(info.getChildren('feature').some((f) => f.attrs.var === NS_UPLOAD));
  const form = info.getChild('x', 'jabber:x:data');
  assert.equal(form?.getChildren('field').find((f) => f.attrs.var === 'max-file-size')?.getChildText('value'), String(MAX));
});

test('a slot, a PUT, then a GET returns the same bytes, stored in the data dir', async () => {
  const body = bytes(1000);
  const { put: putUrl, get: getUrl } = await slot('juliet photo.png', body.length, 'image/png');
  assert.match(getUrl, /^http:\/\/localhost:\d+\/upload\/[0-9a-f]{32}\/[0-9a-f]{32}\/juliet_photo\.png$/);
  assert.equal((await put(putUrl, body)).status, 201);
  const got = await fetch(getUrl);
  assert.equal(got.status, 200);
  assert.equal(got.headers.get('content-type'), 'image/png');
  assert.deepEqual(Buffer.from(await got.arrayBuffer()), body);
  const stored = path.join(server.dir, 'data', 'upload', new URL(getUrl).pathname.slice('/upload/'.length));
  assert.deepEqual(await readFile(stored), body);

  // the slot is used: a second PUT is a conflict, and the file is unchanged
  assert.equal((await put(putUrl, bytes(1000, 11))).status, 409);
  assert.deepEqual(await readFile(stored), body);
  assert.equal((await fetch(getUrl.replace(/\.png$/, '.gif'))).status, 404);
});

test('an oversized request is file-too-large with max-file-size', async () => {
  const answer = await requestSlot('big.bin', MAX + 1);
  assert.equal(condition(answer), 'not-acceptable');
  const tooLarge = answer.getChild('error')?.getChild('file-too-large', NS_UPLOAD);
  assert.equal(tooLarge?.getChildText('max-file-size'), String(MAX));
  assert.equal(condition(await requestSlot('', 10)), 'bad-request');
  assert.equal(condition(await requestSlot('x', 0)), 'bad-request');
});

test('a wrong or missing Content-Length, a wrong Content-Type are refused and store nothing', async () => {
  const { put: putUrl, get: getUrl } = await slot('a.png', 100, 'image/png');
  assert.equal((await put(putUrl, bytes(99))).status, 413);
  assert.equal((await put(putUrl, bytes(101))).status, 413);
  assert.equal((await put(putUrl, bytes(100), 'text/html')).status, 415);
  const chunked = await new Promise<number>((resolve, reject) => {
    const req = http.request(putUrl, { method: 'PUT', headers: { 'Content-Type': 'image/png', 'Transfer-Encoding': 'chunked' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(bytes(100));
  });
  assert.equal(chunked, 411);
  assert.equal((await fetch(getUrl)).status, 404, 'nothing stored');
  assert.equal((await put(putUrl, bytes(100))).status, 201, 'the slot is still good for the right upload');
});

test('an expired or tampered PUT URL is refused', async () => {
  const { put: putUrl, get: getUrl } = await slot('late.png', 10, 'image/png');
  const url = new URL(putUrl);
  const tampered = new URL(putUrl);
  tampered.searchParams.set('size', '11');
  assert.equal((await put(tampered.toString(), bytes(11))).status, 403);
  // The same slot signed with the server's secret, but expired a second ago.
  const secret = (await readFile(path.join(server.dir, 'data', 'upload.secret'), 'utf8')).trim();
  const slotPath = url.pathname.slice('/upload/'.length);
  const expired = signPut(secret, { path: slotPath, size: 10, contentType: 'image/png', expires: Math.floor(Date.now() / 1000) - 1 });
  assert.equal((await put(`${url.origin}${url.pathname}?${expired}`, bytes(10))).status, 410);
  assert.equal((await fetch(getUrl)).status, 404);
});

test('the quota counts what the user stored', async () => {
  // stored so far: 1000 + 100 bytes; 6000 - 1100 = 4900 left
  assert.equal((await requestSlot('more.bin', MAX)).attrs.type, 'result', 'within the quota');
  const { put: putUrl } = await slot('fill.bin', MAX);
  assert.equal((await put(putUrl, bytes(MAX), 'application/octet-stream')).status, 201);
  const over = await requestSlot('over.bin', 1000);
  assert.equal(condition(over), 'resource-constraint');
  const files = await readdir(path.join(server.dir, 'data', 'upload'), { recursive: true });
  assert.equal(files.filter((f) => /\.(png|bin)$/.test(f)).length, 3);
});
