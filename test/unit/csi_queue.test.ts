/** XEP-0352: what is held, what is urgent, the queue of held presences (src/csi/queue.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'ltx';
import { parseJid } from '../../src/jid.js';
import { isHoldable, isUrgent, NS_DELAY, PresenceQueue, withDelay } from '../../src/csi/queue.js';
import { NS_CARBONS, NS_FORWARD } from '../../src/carbons/carbons.js';

const el = (xml: string) => parse(xml);

test('held: available and unavailable presence; not subscriptions, probes, errors, messages', () => {
  assert.ok(isHoldable(el('<presence/>')));
  assert.ok(isHoldable(el("<presence type='unavailable'/>")));
  for (const type of ['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'probe', 'error']) assert.ok(!isHoldable(el(`<presence type='${type}'/>`)), type);
  assert.ok(!isHoldable(el('<message/>')));
});

test('urgent: a message with a body, or the carbon copy of one', () => {
  assert.ok(isUrgent(el("<message type='chat'><body>hi</body></message>")));
  assert.ok(!isUrgent(el("<message type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>")));
  const carbon = (inner: string) => el(`<message><received xmlns='${NS_CARBONS}'><forwarded xmlns='${NS_FORWARD}'><message xmlns='jabber:client'>${inner}</message></forwarded></received></message>`);
  assert.ok(isUrgent(carbon('<body>hi</body>')));
  assert.ok(!isUrgent(carbon('<active xmlns="http://jabber.org/protocol/chatstates"/>')));
  assert.ok(!isUrgent(el('<presence><status>hi</status></presence>')));
});

test('a delayed copy carries when it was held; the original is untouched, an existing delay kept', () => {
  const original = el('<presence><status>away</status></presence>');
  const at = new Date('2024-01-02T03:04:05.000Z');
  const copy = withDelay(original, 'localhost', at);
  assert.equal(copy.getChild('delay', NS_DELAY)?.attrs.stamp, '2024-01-02T03:04:05.000Z');
  assert.equal(copy.getChild('delay', NS_DELAY)?.attrs.from, 'localhost');
  assert.equal(original.getChild('delay', NS_DELAY), undefined);
  assert.equal(withDelay(copy, 'localhost', new Date()).getChildren('delay', NS_DELAY).length, 1);
});

test('the queue keeps the latest presence per full JID, in the order of the latest', () => {
  const q = new PresenceQueue();
  const put = (from: string, status: string) => q.put({ from: parseJid(from), stanza: el(`<presence><status>${status}</status></presence>`), at: new Date() });
  put('bob@x/1', 'one');
  put('carol@x/1', 'c');
  put('bob@x/2', 'b2');
  put('bob@x/1', 'two');
  assert.equal(q.size, 3);
  assert.ok(q.has(parseJid('bob@x/1')));
  assert.ok(!q.has(parseJid('bob@x')));
  assert.deepEqual(q.takeAll().map((h) => `${h.from} ${h.stanza.getChildText('status')}`), ['carol@x/1 c', 'bob@x/2 b2', 'bob@x/1 two']);
  assert.equal(q.size, 0);
});

test("takeFrom takes every resource of the sender's account, in order, and leaves the rest", () => {
  const q = new PresenceQueue();
  for (const from of ['bob@x/1', 'carol@x/1', 'bob@x/2', 'bobby@x/1']) q.put({ from: parseJid(from), stanza: el('<presence/>'), at: new Date() });
  assert.deepEqual(q.takeFrom(parseJid('bob@x/9')).map((h) => String(h.from)), ['bob@x/1', 'bob@x/2']);
  assert.deepEqual(q.takeAll().map((h) => String(h.from)), ['carol@x/1', 'bobby@x/1']);
});
