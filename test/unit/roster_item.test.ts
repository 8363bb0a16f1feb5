/** RFC 6121 §2.1, §2.3.3: roster items, roster set validation, the XML of results and pushes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement, type Element } from 'ltx';
import { isStanzaError } from '../../src/stanza/error.js';
import {
  applySet, emptyItem, isVoid, itemElement, MAX_NAME_BYTES, parseRosterSet, rosterQuery, withSubscription, type RosterSet,
} from '../../src/roster/item.js';

const query = (...items: Element[]): Element => createElement('query', { xmlns: 'jabber:iq:roster' }, ...items);
const item = (attrs: Record<string, string>, ...groups: string[]): Element =>
  createElement('item', attrs, ...groups.map((g) => createElement('group', null, g)));

function ok(q: Element): RosterSet {
  const set = parseRosterSet(q);
  if (isStanzaError(set)) throw new Error(`unexpected ${set.condition}: ${set.text}`);
  return set;
}

const fails = (q: Element): string | undefined => {
  const set = parseRosterSet(q);
  return isStanzaError(set) ? set.condition : undefined;
};

test("the seed's item: jid, name and the group Friends; the JID is prepared and made bare", () => {
  const set = ok(query(item({ jid: '1555215557@Kinglong/phone', name: '1555215557' }, 'Friends')));
  assert.equal(set.remove, false);
  assert.equal(set.jid.toString(), '1555215557@kinglong');
  assert.deepEqual(set.remove ? [] : [set.name, set.groups], ['1555215557', ['Friends']]);
});

test('remove (§2.5)', () => {
  const set = ok(query(item({ jid: 'a@b', subscription: 'remove' })));
  assert.equal(set.remove, true);
});

test('§2.3.3 violations and their conditions', () => {
  assert.equal(fails(query()), 'bad-request');
  assert.equal(fails(query(item({ jid: 'a@b' }), item({ jid: 'c@d' }))), 'bad-request');
  assert.equal(fails(query(item({ name: 'x' }))), 'bad-request');
  assert.equal(fails(query(item({ jid: 'a@b@c' }))), 'jid-malformed');
  assert.equal(fails(query(item({ jid: 'a@b' }, 'G', 'G'))), 'bad-request');
  assert.equal(fails(query(item({ jid: 'a@b' }, ''))), 'not-acceptable');
  assert.equal(fails(query(item({ jid: 'a@b' }, '   '))), 'not-acceptable');
  assert.equal(fails(query(item({ jid: 'a@b', name: 'x'.repeat(MAX_NAME_BYTES + 1) }))), 'not-acceptable');
  assert.equal(fails(query(item({ jid: 'a@b', name: 'x'.repeat(MAX_NAME_BYTES) }))), undefined, 'exactly the limit is fine');
  assert.equal(fails(query(item({ jid: 'a@b' }, 'ü'.repeat(512)))), 'not-acceptable', 'the limit counts UTF-8 bytes');
  assert.equal(fails(query(item({ jid: 'a@b', subscription: 'weird' }))), 'bad-request');
  assert.equal(fails(query(item({ jid: 'a@b', ask: 'maybe' }))), 'bad-request');
});

test('§2.1.2.5, §2.1.2.1: a client-set subscription or ask is ignored, not applied', () => {
  const set = ok(query(item({ jid: 'a@b', subscription: 'both', ask: 'subscribe' })));
  assert.ok(!set.remove);
  const stored = applySet(undefined, set as Extract<RosterSet, { remove: false }>);
  assert.equal(stored.subscription, 'none');
  assert.equal(stored.pendingOut, false);
});

test('applySet replaces name and groups, keeps the subscription, lists the item', () => {
  const old = { ...emptyItem('a@b'), subscription: 'both' as const, name: 'Old', groups: ['X'], listed: true, ver: 3 };
  const next = applySet(old, ok(query(item({ jid: 'a@b' }, 'Y'))) as Extract<RosterSet, { remove: false }>);
  assert.equal(next.subscription, 'both');
  assert.equal(next.name, undefined);
  assert.deepEqual(next.groups, ['Y']);
});

test('withSubscription lists an item that gains a subscription, not one with only a pending request', () => {
  const pending = withSubscription(emptyItem('a@b'), { subscription: 'none', pendingOut: false, pendingIn: true, approved: false });
  assert.equal(pending.listed, false);
  assert.ok(!isVoid(pending));
  const from = withSubscription({ ...pending, status: 'hi' }, { subscription: 'from', pendingOut: false, pendingIn: false, approved: false });
  assert.equal(from.listed, true);
  assert.equal(from.status, undefined);
  assert.ok(isVoid(emptyItem('a@b')));
});

test('item and query XML (§2.1.2, XEP-0237)', () => {
  const el = itemElement({ ...emptyItem('a@b'), name: 'A', groups: ['G1', 'G2'], pendingOut: true, approved: true, listed: true });
  assert.equal(el.toString(), '<item jid="a@b" subscription="none" name="A" ask="subscribe" approved="true"><group>G1</group><group>G2</group></item>');
  assert.equal(itemElement({ jid: 'a@b', subscription: 'remove' }).toString(), '<item jid="a@b" subscription="remove"/>');
  assert.equal(rosterQuery([], '7').toString(), '<query xmlns="jabber:iq:roster" ver="7"/>');
  assert.equal(rosterQuery([]).attrs.ver, undefined);
});
