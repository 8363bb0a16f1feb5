/** XEP-0191 items, JID matching (§5) and the <blocked/> error (src/blocking/blocklist.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'ltx';
import { parseJid } from '../../src/jid.js';
import { isStanzaError } from '../../src/stanza/error.js';
import { blockedReply, blockingElement, isBlocked, itemJids, NS_BLOCKING, NS_BLOCKING_ERRORS } from '../../src/blocking/blocklist.js';

test('items are prepared JIDs', () => {
  const jids = itemJids(parse(`<block xmlns='${NS_BLOCKING}'><item jid='Romeo@Montague.NET/Orchard'/><item jid='example.org'/></block>`));
  assert.ok(Array.isArray(jids));
  assert.deepEqual(jids.map(String), ['romeo@montague.net/Orchard', 'example.org']);
});

test('a malformed JID is jid-malformed, an item without jid or a stray child bad-request', () => {
  for (const [inner, condition] of [
    [`<item jid='@example.org'/>`, 'jid-malformed'],
    [`<item jid='a@b@c'/>`, 'jid-malformed'],
    [`<item jid=''/>`, 'jid-malformed'],
    [`<item jid='user@'/>`, 'jid-malformed'],
    ['<item/>', 'bad-request'],
    [`<thing jid='a@b'/>`, 'bad-request'],
  ] as const) {
    const r = itemJids(parse(`<block xmlns='${NS_BLOCKING}'><item jid='ok@example.org'/>${inner}</block>`));
    assert.ok(isStanzaError(r), inner);
    assert.equal(r.condition, condition, inner);
  }
});

test('matching follows XEP-0016 §2.1: full, bare, domain/resource, domain', () => {
  const j = parseJid('romeo@montague.net/orchard');
  assert.equal(isBlocked(new Set(), j), false);
  assert.equal(isBlocked(new Set(['romeo@montague.net/orchard']), j), true);
  assert.equal(isBlocked(new Set(['romeo@montague.net/garden']), j), false);
  assert.equal(isBlocked(new Set(['romeo@montague.net']), j), true);
  assert.equal(isBlocked(new Set(['montague.net/orchard']), j), true);
  assert.equal(isBlocked(new Set(['montague.net']), j), true);
  assert.equal(isBlocked(new Set(['capulet.net']), j), false);
  assert.equal(isBlocked(new Set(['romeo@montague.net/orchard']), j.bare()), false, 'a full-JID item does not block the bare JID');
  assert.equal(isBlocked(new Set(['montague.net']), parseJid('montague.net')), true);
  assert.equal(isBlocked(new Set(['net']), j), false, 'no parent-domain matching');
});

test('the error for an outgoing stanza to a blocked JID carries <blocked/>', () => {
  const reply = blockedReply(parse(`<message from='juliet@capulet.com/balcony' to='romeo@montague.net' id='m1'><body>hi</body></message>`));
  assert.ok(reply);
  assert.equal(reply.attrs.type, 'error');
  assert.equal(reply.attrs.to, 'juliet@capulet.com/balcony');
  const error = reply.getChild('error');
  assert.equal(error?.attrs.type, 'cancel');
  assert.ok(error?.getChild('not-acceptable', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
  assert.ok(error?.getChild('blocked', NS_BLOCKING_ERRORS));
  assert.equal(blockedReply(parse(`<message type='error' to='a@b'/>`)), null, 'an error is never answered');
});

test('pushes and lists carry one item per JID', () => {
  const el = blockingElement('unblock', ['a@b', 'c']);
  assert.deepEqual(el.getChildren('item').map((i) => i.attrs.jid), ['a@b', 'c']);
  assert.equal(blockingElement('unblock', []).children.length, 0);
});
