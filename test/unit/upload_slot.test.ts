/** XEP-0363's pure part (src/upload/slot.ts): slot requests, safe names, signed PUT URLs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'ltx';
import { isStanzaError } from '../../src/stanza/error.js';
import { isSlotPath, mediaType, parseSlotRequest, safeFilename, signPut, slotPath, verifyPut } from '../../src/upload/slot.js';

const request = (attrs: string) => parse(`<request xmlns='urn:xmpp:http:upload:0' ${attrs}/>`);

test('a slot request needs a filename and a positive size; content-type is a media type', () => {
  assert.deepEqual(parseSlotRequest(request(`filename='a.png' size='12' content-type='image/png'`)), { filename: 'a.png', size: 12, contentType: 'image/png' });
  for (const attrs of [`size='1'`, `filename='a' size='0'`, `filename='a' size='-1'`, `filename='a' size='1e3'`, `filename='a' size='1' content-type='bad'`]) {
    assert.ok(isStanzaError(parseSlotRequest(request(attrs))), attrs);
  }
});

test('file names become one safe path segment; slot paths are recognised', () => {
  assert.equal(safeFilename('../../etc/passwd'), '__.._etc_passwd');
  assert.equal(safeFilename('.hidden'), '_hidden');
  assert.equal(safeFilename('photo été.jpg'), 'photo__t_.jpg');
  assert.equal(safeFilename(''), 'file');
  assert.equal(safeFilename('x'.repeat(300)).length, 100);
  const p = slotPath('s', 'alice@localhost', 'a b.png');
  assert.ok(isSlotPath(p), p);
  assert.ok(!isSlotPath(`${p.split('/').slice(0, 2).join('/')}/.a.png.part`), 'part files are never served');
  assert.ok(!isSlotPath('../x'));
  assert.notEqual(slotPath('s', 'alice@localhost', 'a').split('/')[0], slotPath('s', 'bob@localhost', 'a').split('/')[0]);
});

test('a signed PUT URL holds until it expires; any change breaks it', () => {
  const grant = { path: 'p/q/a.png', size: 10, contentType: 'image/png', expires: 1000 };
  const query = new URLSearchParams(signPut('secret', grant));
  assert.deepEqual(verifyPut('secret', grant.path, query, 999), grant);
  assert.equal(verifyPut('secret', grant.path, query, 1001), 410);
  assert.equal(verifyPut('other', grant.path, query, 999), 403);
  assert.equal(verifyPut('secret', 'p/q/b.png', query, 999), 403);
  for (const [k, v] of [['size', '11'], ['expires', '5000'], ['type', 'text/html'], ['sig', '']]) {
    const changed = new URLSearchParams(query);
    changed.set(k as string, v as string);
    assert.equal(verifyPut('secret', grant.path, changed, 999), 403, k);
  }
  const untyped = new URLSearchParams(signPut('secret', { ...grant, contentType: undefined }));
  assert.equal(verifyPut('secret', grant.path, untyped, 999) !== 403, true);
});

test('served media types come from the extension', () => {
  assert.equal(mediaType('a.PNG'), 'image/png');
  assert.equal(mediaType('a.html'), 'application/octet-stream');
});
