/**
 * `stanzaCopies`: a copy serialises exactly as the same element built in full would, escaping
 * included; a copy changed after it was made falls back to the full serialisation; the
 * template's children are shared but frozen; the stanza given is never modified.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clone, createElement, Element, parse } from 'ltx';
import { stanzaCopies } from '../../src/xml/stanza_copies.js';

/** The same element as `el` with `to` (its last attribute), built and serialised by ltx alone. */
function inFull(el: Element, to: string): string {
  const full = clone(el);
  delete full.attrs.to;
  full.attrs.to = to;
  return Element.prototype.toString.call(full);
}

const stanzas = [
  '<message type="groupchat" id="a&amp;b" from="r@c/n&apos;x"><body>hi &lt;3 &amp; bye</body><stanza-id xmlns="urn:xmpp:sid:0" by="r@c" id="1"/></message>',
  '<message from="r@c" type="groupchat"><subject/></message>',
  '<presence from="r@c/n"/>',
  '<message to="someone@else" type="chat">text<b>bold</b></message>',
];

test('a copy is the stanza with its own to, byte for byte, escapes included', () => {
  for (const s of stanzas) {
    const el = parse(s);
    const copies = stanzaCopies(el);
    for (const to of ['u1@localhost/r', 'a"b<c>&d\'e@x/y']) {
      const copy = copies.copyTo(to);
      assert.equal(copy.toString(), inFull(el, to));
      assert.equal(parse(copy.toString()).attrs.to, to);
    }
    assert.equal(el.toString(), parse(s).toString(), 'the stanza given is not modified');
  }
});

test('a copy changed after it was made is serialised in full', () => {
  const el = parse(stanzas[0] as string);
  const copies = stanzaCopies(el);
  const withAttr = copies.copyTo('u@h/r');
  withAttr.attrs.xmlns = 'jabber:client';
  assert.match(withAttr.toString(), /xmlns="jabber:client"/);
  const withChild = copies.copyTo('u@h/r');
  withChild.append(createElement('delay', { xmlns: 'urn:xmpp:delay', stamp: 'now' }));
  assert.match(withChild.toString(), /<delay xmlns="urn:xmpp:delay" stamp="now"\/><\/message>$/);
  const without = copies.copyTo('u@h/r');
  without.children = without.children.filter((c) => typeof c === 'string' || c.name !== 'stanza-id');
  assert.doesNotMatch(without.toString(), /stanza-id/);
  const renamed = copies.copyTo('u@h/r');
  renamed.attrs.from = 'r@c/other';
  assert.match(renamed.toString(), /from="r@c\/other"/);
  assert.equal(clone(copies.copyTo('u@h/r')).toString(), inFull(el, 'u@h/r'), 'a clone is an ordinary element');
  assert.equal(copies.copyTo('v@h/r').toString(), inFull(el, 'v@h/r'), 'the other copies are untouched');
});

test('the shared children are frozen: changing one in place throws instead of changing every copy', () => {
  const copy = stanzaCopies(parse(stanzas[0] as string)).copyTo('u@h/r');
  const body = copy.getChild('body') as Element;
  assert.throws(() => body.children.push('more'), TypeError);
  assert.throws(() => {
    body.attrs['xml:lang'] = 'en';
  }, TypeError);
  assert.equal(copy.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.by, 'r@c');
});
