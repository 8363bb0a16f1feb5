/**
 * RFC 6121 §3 / Appendix A: the subscription tables, cell by cell where the RFC spells them out,
 * and as a property: whatever two users send each other, in order, their two items agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  fromName, hasFrom, hasTo, inbound, outbound, stateName, STATES, SUBSCRIPTION_TYPES, type State, type SubState, type SubscriptionType,
} from '../../src/roster/subscription.js';

const s = (name: State, approved = false): SubState => fromName(name, approved);

test('state names round-trip, and every state keeps the invariants (pending out ⇒ no to, pending in ⇒ no from)', () => {
  for (const name of STATES) {
    const state = s(name);
    assert.equal(stateName(state), name);
    if (state.pendingOut) assert.ok(!hasTo(state));
    if (state.pendingIn) assert.ok(!hasFrom(state));
  }
});

test('outbound (A.3): the rows the RFC spells out', () => {
  const rows: [SubscriptionType, State, State, boolean][] = [
    ['subscribe', 'None', 'None + Pending Out', true],
    ['subscribe', 'From', 'From + Pending Out', true],
    ['subscribe', 'Both', 'Both', true],
    ['unsubscribe', 'Both', 'From', true],
    ['unsubscribe', 'None + Pending Out/In', 'None + Pending In', true],
    ['subscribed', 'None + Pending In', 'From', true],
    ['subscribed', 'To + Pending In', 'Both', true],
    ['subscribed', 'From', 'From', false],
    ['unsubscribed', 'Both', 'To', true],
    ['unsubscribed', 'None + Pending In', 'None', true],
  ];
  for (const [type, before, after, forward] of rows) {
    const o = outbound(type, s(before), false);
    assert.equal(stateName(o.next), after, `${type} from ${before}`);
    assert.equal(o.forward, forward, `${type} from ${before} routed?`);
  }
});

test('inbound (A.2): the rows the RFC spells out, with delivery and automatic replies', () => {
  const rows: [SubscriptionType, State, State, boolean, string | undefined][] = [
    ['subscribe', 'None', 'None + Pending In', true, undefined],
    ['subscribe', 'To', 'To + Pending In', true, undefined],
    ['subscribe', 'None + Pending In', 'None + Pending In', false, undefined],
    ['subscribe', 'Both', 'Both', false, 'subscribed'],
    ['subscribe', 'From + Pending Out', 'From + Pending Out', false, 'subscribed'],
    ['subscribed', 'None + Pending Out', 'To', true, undefined],
    ['subscribed', 'From + Pending Out', 'Both', true, undefined],
    ['subscribed', 'None', 'None', false, undefined],
    ['unsubscribe', 'Both', 'To', true, undefined],
    ['unsubscribe', 'None + Pending In', 'None', true, undefined],
    ['unsubscribed', 'Both', 'From', true, undefined],
    ['unsubscribed', 'None + Pending Out', 'None', true, undefined],
    ['unsubscribed', 'From', 'From', false, undefined],
  ];
  for (const [type, before, after, deliver, reply] of rows) {
    const o = inbound(type, s(before));
    assert.equal(stateName(o.next), after, `${type} at ${before}`);
    assert.equal(o.forward, deliver, `${type} at ${before} delivered?`);
    assert.equal(o.autoReply, reply, `${type} at ${before} auto-reply`);
  }
});

test('pre-approval (§3.4): subscribed without a request approves ahead; the request is then answered by the server', () => {
  const pre = outbound('subscribed', s('None'));
  assert.equal(pre.forward, false);
  assert.equal(pre.next.approved, true);
  const request = inbound('subscribe', pre.next);
  assert.equal(stateName(request.next), 'From');
  assert.equal(request.next.approved, false);
  assert.equal(request.autoReply, 'subscribed');
  assert.equal(request.forward, false);
  assert.ok(request.gainedFrom);
  assert.equal(outbound('unsubscribed', pre.next).next.approved, false, 'unsubscribed cancels a pre-approval');
  assert.equal(outbound('subscribed', s('None'), false).next.approved, false, 'not offered: nothing recorded');
});

test('gainedFrom / lostFrom mark when presence must start or stop flowing', () => {
  assert.ok(outbound('subscribed', s('None + Pending In')).gainedFrom);
  assert.ok(outbound('unsubscribed', s('Both')).lostFrom);
  assert.ok(inbound('unsubscribe', s('From')).lostFrom);
  assert.ok(!inbound('unsubscribed', s('Both')).lostFrom);
});

/** Two users, each with the other in the roster; a stanza is processed outbound, then (if routed) inbound, then any auto-reply. */
function send(from: SubState, to: SubState, type: SubscriptionType): [SubState, SubState] {
  const out = outbound(type, from);
  let sender = out.next;
  let receiver = to;
  if (out.forward) {
    const inb = inbound(type, receiver);
    receiver = inb.next;
    if (inb.autoReply) sender = inbound(inb.autoReply, sender).next;
  }
  return [sender, receiver];
}

test('the subscription dance: none/none → both/both', () => {
  let [a, b] = [s('None'), s('None')];
  [a, b] = send(a, b, 'subscribe');
  assert.deepEqual([stateName(a), stateName(b)], ['None + Pending Out', 'None + Pending In']);
  [b, a] = send(b, a, 'subscribed');
  assert.deepEqual([stateName(a), stateName(b)], ['To', 'From']);
  [b, a] = send(b, a, 'subscribe');
  assert.deepEqual([stateName(a), stateName(b)], ['To + Pending In', 'From + Pending Out']);
  [a, b] = send(a, b, 'subscribed');
  assert.deepEqual([stateName(a), stateName(b)], ['Both', 'Both']);
});

test('property: whatever two users send each other, their items agree (to ⇔ from, pending out ⇔ pending in)', () => {
  const action = fc.record({ byA: fc.boolean(), type: fc.constantFrom(...SUBSCRIPTION_TYPES) });
  fc.assert(
    fc.property(fc.array(action, { maxLength: 40 }), (actions) => {
      let [a, b] = [s('None'), s('None')];
      for (const { byA, type } of actions) {
        if (byA) [a, b] = send(a, b, type);
        else [b, a] = send(b, a, type);
        assert.equal(hasTo(a), hasFrom(b));
        assert.equal(hasTo(b), hasFrom(a));
        assert.equal(a.pendingOut, b.pendingIn);
        assert.equal(b.pendingOut, a.pendingIn);
        for (const x of [a, b]) {
          if (x.pendingOut) assert.ok(!hasTo(x));
          if (x.pendingIn) assert.ok(!hasFrom(x));
        }
      }
    }),
    { numRuns: 2000 },
  );
});
