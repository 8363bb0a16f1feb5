/**
 * The stanza path in process (ARCHITECTURE §4) with the real actors and tables: router → local
 * → IQ table → a module, for each IQ discipline; unknown namespaces; a crashing handler; and
 * router/sm restarts that lose no route or session.
 */
import { routeCollector, startTestNode } from '../support/node.js';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { createElement, type Element } from 'ltx';
import { start, stopServer, injectFault } from '../../supervision/gen_server.js';
import { whichChildren } from '../../supervision/supervisor.js';
import { whereis } from '../../supervision/registry.js';
import type { Process } from '../../supervision/process.js';
import { parseJid } from '../../src/jid.js';
import type { Node } from '../../actors/node.js';
import { route } from '../../actors/router.js';
import { openSession } from '../../actors/sm.js';
import type { ModuleSpec } from '../../actors/gen_mod.js';
import type { Iq } from '../../actors/iq_handler.js';
import { eventually } from '../support/worker.js';

const user = parseJid('alice@localhost/test');
let node: Node;
let sup: Process;
let inbox: Element[];
let handled: string[];

/** Answers `<q n='…'/>` with `<ok/>`; `<q crash='1'/>` throws. */
const modTest: ModuleSpec<Record<string, never>> = {
  name: 'mod_test',
  xeps: [],
  options: z.strictObject({}),
  defaultEnabled: false,
  start: () =>
    (['no_queue', 'one_queue', 'parallel'] as const).map((disc) => ({
      iq: 'local' as const,
      ns: `urn:test:${disc}`,
      disc,
      handler: (iq: Iq) => {
        if (iq.payload.attrs.crash) throw new Error('handler crashed on purpose');
        handled.push(`${disc} ${iq.payload.attrs.n}`);
        return createElement('ok', { xmlns: `urn:test:${disc}` });
      },
    })),
};

/** Holds a session and collects what is routed to it. */
const fakeC2s = routeCollector((stanza) => inbox.push(stanza));

before(async () => {
  ({ node, sup } = await startTestNode([modTest]));
  const c2s = await start(fakeC2s, null);
  await openSession(node, c2s, user);
});

after(async () => {
  await stopServer(sup, 'shutdown');
});

function iq(ns: string, attrs: Record<string, string>, id: string): Element {
  return createElement('iq', { type: 'get', id, from: user.toString(), to: 'localhost' }, createElement('q', { xmlns: ns, ...attrs }));
}

async function ask(stanza: Element): Promise<Element> {
  inbox = [];
  await route(node, parseJid(stanza.attrs.from as string), parseJid(stanza.attrs.to as string), stanza);
  await eventually(() => inbox.length > 0, 'a reply');
  return inbox[0] as Element;
}

for (const disc of ['no_queue', 'one_queue', 'parallel']) {
  test(`${disc}: the module answers; the reply is routed back to the sender`, async () => {
    handled = [];
    const reply = await ask(iq(`urn:test:${disc}`, { n: '1' }, `id-${disc}`));
    assert.equal(reply.attrs.type, 'result');
    assert.equal(reply.attrs.id, `id-${disc}`);
    assert.equal(reply.attrs.to, user.toString());
    assert.ok(reply.getChild('ok', `urn:test:${disc}`));
    assert.deepEqual(handled, [`${disc} 1`]);
  });
}

test('an IQ nobody handles gets service-unavailable', async () => {
  const reply = await ask(iq('urn:test:nothing', {}, 'u1'));
  assert.equal(reply.attrs.type, 'error');
  assert.ok(reply.getChild('error')?.getChild('service-unavailable', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
});

test('an IQ with two children gets bad-request', async () => {
  const stanza = iq('urn:test:one_queue', {}, 'b1');
  stanza.c('extra', { xmlns: 'urn:test:one_queue' });
  const reply = await ask(stanza);
  assert.ok(reply.getChild('error')?.getChild('bad-request', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
});

test('a crashing one_queue handler: internal-server-error, the module restarts, nothing else does', async () => {
  const before = new Map((await whichChildren(sup)).map((c) => [c.id, c.pid]));
  const modBefore = whereis('mod_test');
  const reply = await ask(iq('urn:test:one_queue', { crash: '1' }, 'c1'));
  assert.ok(reply.getChild('error')?.getChild('internal-server-error', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
  await eventually(() => whereis('mod_test') !== undefined && whereis('mod_test') !== modBefore, 'mod_test restarted');
  const modulesSup = before.get('modules_sup') as Process;
  assert.equal((await whichChildren(modulesSup))[0]?.restarts, 1);
  for (const c of await whichChildren(sup)) assert.equal(c.pid, before.get(c.id), `${c.id} untouched`);
  await eventually(async () => (await ask(iq('urn:test:one_queue', { n: '2' }, 'c2'))).attrs.type === 'result', 'served again');
});

test('crashing router and sm loses no route and no session', async () => {
  for (const name of ['router', 'sm', 'local', 'hooks']) {
    const old = whereis(name) as Process;
    injectFault(old);
    await eventually(() => whereis(name) !== undefined && whereis(name) !== old, `${name} restarted`);
  }
  assert.ok(node.sessions.get(user), 'the session survived');
  const reply = await ask(iq('urn:test:no_queue', { n: '3' }, 'r1'));
  assert.equal(reply.attrs.type, 'result');
  const message = await ask(createElement('message', { type: 'chat', from: 'bob@localhost/x', to: user.toString() }, createElement('body', null, 'hi')));
  assert.equal(message.getChildText('body'), 'hi', 'delivered to the session after the restarts');
});
