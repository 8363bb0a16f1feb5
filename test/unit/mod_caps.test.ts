/**
 * mod_caps in process, with the real hooks, router, local and sm actors and a stand-in c2s:
 * what other modules see through `caps_features` / `hasFeature` and `caps_add`, before and
 * after a client's caps are verified.
 */
import { routeCollector, startTestNode } from '../support/node.js';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement, parse, type Element } from 'ltx';
import { start, stopServer } from '../../supervision/gen_server.js';
import type { Process } from '../../supervision/process.js';
import { parseJid, type Jid } from '../../src/jid.js';
import type { Node } from '../../actors/node.js';
import { addHook, STOP } from '../../actors/hooks.js';
import { openSession } from '../../actors/sm.js';
import { hasFeature, modCaps } from '../../actors/modules/mod_caps.js';
import { eventually } from '../support/worker.js';

const NS_INFO = 'http://jabber.org/protocol/disco#info';
const EXODUS_VER = 'QgayPKawpkPSDYmwT/WM94uAlu0=';
const MUC = 'http://jabber.org/protocol/muc';
const host = parseJid('localhost');
const alice = parseJid('alice@localhost/phone');
const bob = parseJid('bob@localhost/desk');

let node: Node;
let sup: Process;
const inbox: Element[] = [];
const added: string[] = [];

/** Holds a session and collects what is routed to it. */
const fakeC2s = routeCollector((stanza) => inbox.push(stanza));

before(async () => {
  ({ node, sup } = await startTestNode([modCaps]));
  for (const jid of [alice, bob]) await openSession(node, await start(fakeC2s, null), jid);
  const watcher = await start(fakeC2s, null);
  await addHook(watcher, 'caps_add', 'localhost', (jid: Jid, features: string[]) => void added.push(`${jid} ${features.length}`));
});

after(async () => {
  await stopServer(sup, 'shutdown');
});

const presence = (ver: string): Element =>
  createElement('presence', null, createElement('c', { xmlns: 'http://jabber.org/protocol/caps', hash: 'sha-1', node: 'urn:test', ver }));

/** The client's answer: Exodus' disco#info (XEP-0115 §5.2), through `user_send_packet` as its c2s would. */
function exodus(id: string): Element {
  const features = ['http://jabber.org/protocol/caps', NS_INFO, 'http://jabber.org/protocol/disco#items', MUC];
  return parse(
    `<iq type='result' id='${id}' to='localhost'><query xmlns='${NS_INFO}'><identity category='client' type='pc' name='Exodus 0.9.1'/>` +
      features.map((f) => `<feature var='${f}'/>`).join('') + '</query></iq>',
  ) as Element;
}

async function queried(jid: Jid): Promise<Element> {
  let query: Element | undefined;
  await eventually(() => (query = inbox.find((s) => s.attrs.to === jid.toString() && s.getChild('query', NS_INFO))) !== undefined, 'a disco#info query');
  inbox.splice(inbox.indexOf(query as Element), 1);
  return query as Element;
}

test('hasFeature: unknown until the client answered and the answer verified, then the features of its ver', async () => {
  assert.equal(await hasFeature(node.hooks, alice, MUC), false);
  await node.hooks.run('user_presence_broadcast', 'localhost', alice, presence(EXODUS_VER), true);
  const query = await queried(alice);
  assert.equal(query.attrs.from, 'localhost');
  assert.equal(query.getChild('query', NS_INFO)?.attrs.node, `urn:test#${EXODUS_VER}`);
  assert.equal(await hasFeature(node.hooks, alice, MUC), false, 'not before the answer');
  assert.equal(await node.hooks.runFold('user_send_packet', 'localhost', exodus(query.attrs.id as string), alice, host), STOP, 'the answer is taken');
  await eventually(() => hasFeature(node.hooks, alice, MUC), 'alice has muc');
  assert.equal(await hasFeature(node.hooks, alice, 'urn:xmpp:nothing'), false);
  assert.equal(await hasFeature(node.hooks, alice.bare(), MUC), false, 'caps belong to a full JID');
  assert.deepEqual(added, ['alice@localhost/phone 4']);
});

test('a ver already verified: known at once for another session, without a query', async () => {
  await node.hooks.run('user_presence_broadcast', 'localhost', bob, presence(EXODUS_VER), true);
  assert.equal(await hasFeature(node.hooks, bob, MUC), true);
  assert.equal(inbox.length, 0);
  await node.hooks.run('user_presence_broadcast', 'localhost', bob, createElement('presence', { type: 'unavailable' }), false);
  assert.equal(await hasFeature(node.hooks, bob, MUC), false, 'unavailable forgets the caps');
});

test('a wrong answer is not cached: the lookup stays unknown and asks again', async () => {
  await node.hooks.run('user_presence_broadcast', 'localhost', bob, presence('bogus+ver='), false);
  const query = await queried(bob);
  await node.hooks.runFold('user_send_packet', 'localhost', exodus(query.attrs.id as string), bob, host);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(await hasFeature(node.hooks, bob, MUC), false);
  await queried(bob); // the lookup asked again
  const stranger = exodus('caps-0000');
  assert.equal(await node.hooks.runFold('user_send_packet', 'localhost', stranger, bob, host), stranger, 'an unknown id passes through');
});
