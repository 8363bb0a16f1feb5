/** XEP-0153 avatar hashes and their stamp in presence (src/vcard/avatar.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parse, type Element } from 'ltx';
import { EXTERNAL, NS_VCARD_UPDATE, photoHash, stampPresence } from '../../src/vcard/avatar.js';

const image = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5]);
const sha1 = createHash('sha1').update(image).digest('hex');

test('the hash is the SHA-1 of the decoded BINVAL, whitespace in the base64 ignored', () => {
  const b64 = image.toString('base64');
  const folded = `${b64.slice(0, 6)}\n  ${b64.slice(6)}\n`;
  const vcard = parse(`<vCard xmlns='vcard-temp'><FN>A</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>${folded}</BINVAL></PHOTO></vCard>`);
  assert.equal(photoHash(vcard), sha1);
  assert.match(photoHash(vcard), /^[0-9a-f]{40}$/);
});

test('no photo gives an empty hash; an EXTVAL photo gives none that can be stamped', () => {
  assert.equal(photoHash(parse(`<vCard xmlns='vcard-temp'><FN>A</FN></vCard>`)), '');
  assert.equal(photoHash(parse(`<vCard xmlns='vcard-temp'><PHOTO><BINVAL>  </BINVAL></PHOTO></vCard>`)), '');
  assert.equal(photoHash(parse(`<vCard xmlns='vcard-temp'><PHOTO><EXTVAL>http://x/a.png</EXTVAL></PHOTO></vCard>`)), EXTERNAL);
});

const update = (p: Element) => p.getChildren('x', NS_VCARD_UPDATE);

test('the stamp replaces a client-supplied hash and leaves the original untouched', () => {
  const sent = parse(`<presence><show>away</show><x xmlns='${NS_VCARD_UPDATE}'><photo>0000</photo></x></presence>`);
  const out = stampPresence(sent, sha1);
  assert.equal(update(out).length, 1);
  assert.equal(update(out)[0]?.getChildText('photo'), sha1);
  assert.equal(out.getChildText('show'), 'away');
  assert.equal(update(sent)[0]?.getChildText('photo'), '0000', 'pure');
});

test('no vCard: an empty <x/>; a vCard without photo: an empty <photo/>; external: no <x/>', () => {
  const p = parse('<presence/>');
  const none = update(stampPresence(p, undefined));
  assert.equal(none.length, 1);
  assert.equal(none[0]?.getChild('photo'), undefined);
  const empty = update(stampPresence(p, ''))[0]?.getChild('photo');
  assert.ok(empty);
  assert.equal(empty.getText(), '');
  const withX = parse(`<presence><x xmlns='${NS_VCARD_UPDATE}'><photo>abc</photo></x></presence>`);
  assert.equal(update(stampPresence(withX, EXTERNAL)).length, 0);
});

test("a client's empty <photo/> (not ready to advertise, XEP-0398) is kept", () => {
  const p = parse(`<presence><x xmlns='${NS_VCARD_UPDATE}'><photo/></x></presence>`);
  assert.equal(stampPresence(p, sha1), p);
});
