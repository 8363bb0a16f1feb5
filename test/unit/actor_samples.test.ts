/**
 * The actor labels of `/metrics`: a registered name, the child id for unnamed processes
 * (c2s), and the child id for processes registered per instance (`muc_room:<room>`), so one
 * label covers every room.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actorSamples } from '../../src/http/snapshot.js';
import type { TreeNode } from '../../src/control/protocol.js';

const node = (id: string, name: string | null, mailbox: number, children?: TreeNode[]): TreeNode => ({
  id, name, label: null, pid: '<0.1.0>', status: 'running', restarts: 0, mailbox, type: children ? 'supervisor' : 'worker', ...(children ? { children } : {}),
});

test('labels: names, child ids for c2s, one label for all rooms', () => {
  const root = node('troupe_sup', 'troupe_sup', 0, [
    node('router', 'router', 1),
    node('c2s_sup', 'c2s_sup', 0, [node('c2s', null, 2), node('c2s', null, 3)]),
    node('muc_room_sup', 'muc_room_sup', 0, [node('muc_room', 'muc_room:a@conference.localhost', 4), node('muc_room', 'muc_room:b@conference.localhost', 5)]),
  ]);
  assert.deepEqual(actorSamples(root).map((s) => [s.actor, s.mailbox]), [
    ['troupe_sup', 0], ['router', 1], ['c2s_sup', 0], ['c2s', 2], ['c2s', 3], ['muc_room_sup', 0], ['muc_room', 4], ['muc_room', 5],
  ]);
});
