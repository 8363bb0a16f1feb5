/**
 * mod_client_state in process, with the real hooks and sm and a stand-in c2s that delivers as
 * the real one does (`user_receive_packet`, then the "socket", here `inbox`): a stanza already
 * in the session's mailbox when the held presences are sent round does not overtake them.
 */
import { startTestNode } from '../support/node.js';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement, type Element } from 'ltx';
import { noreply, start, stopServer, type GenServer } from '../../supervision/gen_server.js';
import type { Process } from '../../supervision/process.js';
import { parseJid, type Jid } from '../../src/jid.js';
import type { Node } from '../../actors/node.js';
import { STOP } from '../../actors/hooks.js';
import { openSession, type RouteMessage } from '../../actors/sm.js';
import { modClientState } from '../../actors/modules/mod_client_state.js';
import { NS_CSI } from '../../src/csi/queue.js';
import { eventually } from '../support/worker.js';

const alice = parseJid('alice@localhost/phone');
const bob = parseJid('bob@localhost/desk');

let node: Node;
let sup: Process;
let phone: Process;
const inbox: string[] = [];

type Cast = RouteMessage | { type: 'nonza'; el: Element };

const fakeC2s: GenServer<{ jid: Jid; self: Process }, Jid> = {
  init: (jid, self) => ({ jid, self }),
  async handleCast(msg, state) {
    const cast = msg as Cast;
    if (cast.type === 'nonza') {
      await node.hooks.runFold('c2s_authenticated_packet', 'localhost', false, state.jid, cast.el, state.self);
    } else {
      const out = await node.hooks.runFold('user_receive_packet', 'localhost', cast.stanza, state.jid, cast.from);
      if (out !== STOP) inbox.push(`${(out as Element).name}:${(out as Element).getChildText('status') ?? (out as Element).getChildText('body')}`);
    }
    return noreply(state);
  },
};

before(async () => {
  ({ node, sup } = await startTestNode([modClientState]));
  phone = await start(fakeC2s, alice);
  await openSession(node, phone, alice);
});

after(async () => {
  await stopServer(phone, 'shutdown');
  await stopServer(sup, 'shutdown');
});

const csi = (state: 'active' | 'inactive'): Cast => ({ type: 'nonza', el: createElement(state, { xmlns: NS_CSI }) });
const route = (stanza: Element): Cast => ({ type: 'route', from: bob, to: alice, stanza });
const presence = (status: string): Cast => route(createElement('presence', null, createElement('status', null, status)));
const message = (body: string): Cast => route(createElement('message', { type: 'chat' }, createElement('body', null, body)));

async function settled(n: number): Promise<void> {
  await eventually(() => inbox.length >= n, `${n} stanzas`);
  await new Promise((r) => setTimeout(r, 50));
}

test('what was in the mailbox before <active/> comes after the held presences, in order', async () => {
  phone.cast(csi('inactive'));
  phone.cast(presence('old'));
  // One burst: all of this is in the mailbox when <active/> sends the held presence round.
  phone.cast(csi('active'));
  phone.cast(presence('new'));
  phone.cast(message('hello'));
  await settled(3);
  assert.deepEqual(inbox.splice(0), ['presence:old', 'presence:new', 'message:hello'], 'the stale presence does not come last');
});

test('an urgent message: the held presences, then the message, then what followed it', async () => {
  phone.cast(csi('inactive'));
  phone.cast(presence('p1'));
  phone.cast(message('urgent'));
  phone.cast(message('next'));
  await settled(3);
  assert.deepEqual(inbox.splice(0), ['presence:p1', 'message:urgent', 'message:next']);
  phone.cast(presence('p2'));
  phone.cast(csi('active'));
  await settled(1);
  assert.deepEqual(inbox.splice(0), ['presence:p2']);
});
