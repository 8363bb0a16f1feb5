/**
 * The pure parts of MUC in a cluster (issue #9): rendezvous placement (every node computes the
 * same owner; a node's departure moves only its own rooms; rooms spread over the nodes), and
 * the room messages on a node's channel, which survive the trip as JSON with XML inside.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'ltx';
import { parseJid } from '../../src/jid.js';
import { rankNodes } from '../../src/cluster/room_placement.js';
import { decodeNodeMessage, encodeCast, encodeRoomMessage } from '../../src/cluster/wire.js';

const rooms = Array.from({ length: 300 }, (_, i) => `room${i}@conference.localhost`);

test('placement: the same order whatever the order of the members', () => {
  for (const room of rooms.slice(0, 20)) assert.deepEqual(rankNodes(room, ['a', 'b', 'c']), rankNodes(room, ['c', 'a', 'b']));
  assert.deepEqual(rankNodes('x@y', []), []);
});

test('placement: a node leaving moves its own rooms only, each to the next node of its order', () => {
  for (const room of rooms) {
    const [first, second] = rankNodes(room, ['a', 'b', 'c']);
    const without = rankNodes(room, ['a', 'b', 'c'].filter((n) => n !== 'c'))[0];
    assert.equal(without, first === 'c' ? second : first, room);
  }
});

test('placement: rooms spread over every node', () => {
  const owners = new Map<string, number>();
  for (const room of rooms) {
    const owner = rankNodes(room, ['a', 'b', 'c'])[0] as string;
    owners.set(owner, (owners.get(owner) ?? 0) + 1);
  }
  assert.deepEqual([...owners.keys()].sort(), ['a', 'b', 'c']);
  for (const n of owners.values()) assert.ok(n > 50, `a node owns ${n} of 300 rooms`);
});

test('a stanza for a room and a take-over cross the wire intact; a cast is still a cast', () => {
  const stanza = createElement('message', { to: 'lobby@conference.localhost', type: 'groupchat' }, createElement('body', null, 'a < b & "c"'));
  const from = parseJid('alice@localhost/desk');
  const to = parseJid('lobby@conference.localhost');
  const routed = decodeNodeMessage(encodeRoomMessage({ type: 'room_route', from, to, stanza, hops: 1 }));
  assert.equal(routed.type, 'room_route');
  if (routed.type !== 'room_route') return;
  assert.deepEqual([String(routed.from), String(routed.to), String(routed.stanza), routed.hops], [String(from), String(to), stanza.toString(), 1]);
  const takeOver = decodeNodeMessage(encodeRoomMessage({ type: 'room_take_over', room: to }));
  assert.deepEqual(takeOver.type === 'room_take_over' && String(takeOver.room), 'lobby@conference.localhost');
  const cast = decodeNodeMessage(encodeCast(parseJid('bob@localhost/x'), { type: 'replaced' }));
  assert.deepEqual(cast.type === 'cast' && [String(cast.jid), cast.msg], ['bob@localhost/x', { type: 'replaced' }]);
});

test('a malformed room message is refused', () => {
  assert.throws(() => decodeNodeMessage('{"room_route":{"from":"a@b","to":"c@d"}}'), /not a room route/);
  assert.throws(() => decodeNodeMessage('{"room_route":{"from":"a@b","to":"c@d","stanza":"<m/>","hops":-1}}'), /not a room route/);
  assert.throws(() => decodeNodeMessage('{"room_route":{"from":"a@b","to":"c@d","stanza":"<m","hops":0}}'));
  assert.throws(() => decodeNodeMessage('{"room_take_over":"@x"}'));
  assert.throws(() => decodeNodeMessage('{"something":1}'), /not a cast envelope/);
});
