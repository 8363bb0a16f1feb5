/** XEP-0280 eligibility (§6), the wrapper (§7, §8), `<private/>` (§9) and who gets a copy (src/carbons/carbons.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'ltx';
import { parseJid, type Jid } from '../../src/jid.js';
import {
  carbonCopy, isEligible, NS_CARBONS, NS_FORWARD, receivedCopyTargets, sentCopyTargets, withoutPrivate, type ResourceView,
} from '../../src/carbons/carbons.js';

const msg = (attrs: string, inner = '<body>hi</body>') => parse(`<message xmlns='jabber:client' ${attrs}>${inner}</message>`);

test('eligible: chat, normal with a body; not groupchat, headline, error, bodiless normal', () => {
  assert.ok(isEligible(msg("type='chat'", '')), 'chat, even without a body (chat states)');
  assert.ok(isEligible(msg("type='normal'")));
  assert.ok(isEligible(msg('')), 'no type is normal');
  assert.ok(!isEligible(msg("type='normal'", '<subject>x</subject>')));
  for (const type of ['groupchat', 'headline', 'error']) assert.ok(!isEligible(msg(`type='${type}'`)), type);
  assert.ok(!isEligible(parse("<presence xmlns='jabber:client'/>")));
});

test('not eligible: private, no-copy, MUC PMs, carbons themselves', () => {
  assert.ok(!isEligible(msg("type='chat'", `<body>x</body><private xmlns='${NS_CARBONS}'/>`)));
  assert.ok(!isEligible(msg("type='chat'", "<body>x</body><no-copy xmlns='urn:xmpp:hints'/>")));
  assert.ok(!isEligible(msg("type='chat'", "<body>x</body><x xmlns='http://jabber.org/protocol/muc#user'/>")));
  assert.ok(!isEligible(msg("type='chat'", `<received xmlns='${NS_CARBONS}'><forwarded xmlns='${NS_FORWARD}'/></received>`)));
  assert.ok(!isEligible(msg("type='chat'", `<sent xmlns='${NS_CARBONS}'><forwarded xmlns='${NS_FORWARD}'/></sent>`)));
  assert.ok(isEligible(msg("type='chat'", "<body>x</body><private xmlns='urn:other'/>")), 'only the carbons <private/>');
});

test('the copy: from the bare JID, to the resource, same type, the original inside in jabber:client', () => {
  const original = msg("from='romeo@example.net/home' to='juliet@example.com/balcony' type='chat'", '<body>Neither</body><thread>t1</thread>');
  const copy = carbonCopy('sent', original, parseJid('romeo@example.net/home'), parseJid('romeo@example.net/garden'));
  assert.equal(copy.attrs.from, 'romeo@example.net');
  assert.equal(copy.attrs.to, 'romeo@example.net/garden');
  assert.equal(copy.attrs.type, 'chat');
  const inner = copy.getChild('sent', NS_CARBONS)?.getChild('forwarded', NS_FORWARD)?.getChild('message');
  assert.ok(inner);
  assert.equal(inner.getNS(), 'jabber:client');
  assert.equal(inner.attrs.to, 'juliet@example.com/balcony');
  assert.equal(inner.getChildText('body'), 'Neither');
  assert.notEqual(inner, original, 'a copy: the original is not re-parented');
  assert.equal(original.parent, null);
  const normal = carbonCopy('received', msg(''), parseJid('a@b/c'), parseJid('a@b/d'));
  assert.equal(normal.attrs.type, undefined, 'normal stays normal');
  assert.ok(normal.getChild('received', NS_CARBONS));
});

test('<private/> is removed from a copy, the original is untouched', () => {
  const original = msg("type='chat'", `<body>x</body><private xmlns='${NS_CARBONS}'/>`);
  const delivered = withoutPrivate(original);
  assert.equal(delivered.getChild('private', NS_CARBONS), undefined);
  assert.equal(delivered.getChildText('body'), 'x');
  assert.ok(original.getChild('private', NS_CARBONS));
});

const r = (resource: string, priority: number | null, carbons = true): ResourceView => ({ jid: parseJid(`romeo@example.net/${resource}`), priority, carbons });
const names = (rs: ResourceView[]): string[] => rs.map((x) => x.jid.resource).sort();
const j = (s: string): Jid => parseJid(s);
const juliet = j('juliet@example.com/balcony');

test('sent: every Carbons-enabled session but the sender', () => {
  const rs = [r('home', 0), r('garden', 0), r('tablet', 0, false), r('phone', null)];
  assert.deepEqual(names(sentCopyTargets(rs, j('romeo@example.net/home'))), ['garden', 'phone']);
});

test('received to a full JID: the other Carbons-enabled sessions', () => {
  const rs = [r('home', 0), r('garden', 5), r('tablet', 0, false), r('phone', null)];
  const home = j('romeo@example.net/home');
  assert.deepEqual(names(receivedCopyTargets(rs, home, home, juliet)), ['garden', 'phone']);
});

test('received to the bare JID: one top-priority session copies, to those that did not get it', () => {
  const rs = [r('home', 1), r('garden', 1), r('low', 0), r('neg', -1), r('off', 0, false), r('none', null)];
  const bare = j('romeo@example.net');
  assert.deepEqual(names(receivedCopyTargets(rs, j('romeo@example.net/garden'), bare, juliet)), ['low', 'neg', 'none'], 'garden is first by resource');
  assert.deepEqual(receivedCopyTargets(rs, j('romeo@example.net/home'), bare, juliet), [], 'home got it too, but garden copies');
  const gone = j('romeo@example.net/gone');
  assert.deepEqual(names(receivedCopyTargets(rs, j('romeo@example.net/garden'), gone, juliet)), ['low', 'neg', 'none'], 'an unavailable resource is the bare JID');
});

test('received from another resource of the account: the sender gets no copy', () => {
  const rs = [r('home', 0), r('garden', 0), r('phone', -1)];
  const garden = j('romeo@example.net/garden');
  assert.deepEqual(names(receivedCopyTargets(rs, garden, garden, j('romeo@example.net/home'))), ['phone']);
});

test('received by a session outside the top (offline delivery): copies to the others that did not get it', () => {
  const rs = [r('home', 2), r('garden', 0), r('phone', -1)];
  assert.deepEqual(names(receivedCopyTargets(rs, j('romeo@example.net/garden'), j('romeo@example.net'), juliet)), ['phone']);
});
