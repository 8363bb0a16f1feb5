/** PEP's pure parts (src/pep): request parsing, configuration forms, node changes, access, +notify. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, type Element } from 'ltx';
import { errorReply, isStanzaError, type StanzaError } from '../../src/stanza/error.js';
import { parsePepRequest } from '../../src/pep/request.js';
import { DEFAULT_CONFIG, configForm, isFieldProblem, meetsPreconditions, parseConfigForm } from '../../src/pep/config.js';
import { configureNode, publishItem, retractItems, selectItems, type PepNode } from '../../src/pep/node.js';
import { accessError } from '../../src/pep/access.js';
import { notifyNodes, NS_PUBLISH_OPTIONS } from '../../src/pep/ns.js';

const pubsub = (inner: string, ns = 'http://jabber.org/protocol/pubsub') => parse(`<pubsub xmlns='${ns}'>${inner}</pubsub>`);
const form = (fields: Record<string, string>, type = NS_PUBLISH_OPTIONS) =>
  parse(`<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>${type}</value></field>${
    Object.entries(fields).map(([k, v]) => `<field var='${k}'><value>${v}</value></field>`).join('')}</x>`);
const app = (e: unknown): string | undefined => (isStanzaError(e) ? e.app?.name : undefined);

test('publish: one item with one payload; the XEP-0060 §7.1.3 errors otherwise', () => {
  const ok = parsePepRequest('set', pubsub(`<publish node='n'><item id='i'><p xmlns='urn:p'/></item></publish>`));
  assert.ok(!isStanzaError(ok) && ok.op === 'publish' && ok.id === 'i' && ok.payload.name === 'p');
  const cases: [string, string][] = [
    [`<publish><item><p/></item></publish>`, 'nodeid-required'],
    [`<publish node='n'/>`, 'item-required'],
    [`<publish node='n'><item/></publish>`, 'payload-required'],
    [`<publish node='n'><item><a/><b/></item></publish>`, 'invalid-payload'],
    [`<publish node='n'><item><a/></item><item><b/></item></publish>`, 'invalid-payload'],
  ];
  for (const [inner, expected] of cases) assert.equal(app(parsePepRequest('set', pubsub(inner))), expected, inner);
});

test('items, retract, owner use cases; subscriptions are not implemented', () => {
  const items = parsePepRequest('get', pubsub(`<items node='n' max_items='2'/>`));
  assert.ok(!isStanzaError(items) && items.op === 'items' && items.maxItems === 2);
  assert.equal((parsePepRequest('get', pubsub(`<items node='n' max_items='0'/>`)) as StanzaError).condition, 'bad-request');
  assert.equal(app(parsePepRequest('set', pubsub(`<retract node='n'/>`))), 'item-required');
  const del = parsePepRequest('set', pubsub(`<delete node='n'/>`, 'http://jabber.org/protocol/pubsub#owner'));
  assert.ok(!isStanzaError(del) && del.op === 'delete');
  const sub = parsePepRequest('set', pubsub(`<subscribe node='n' jid='a@b'/>`));
  assert.ok(isStanzaError(sub) && sub.condition === 'feature-not-implemented' && sub.app?.attrs.feature === 'subscribe');
  assert.equal(app(parsePepRequest('set', pubsub(`<create/>`))), 'unsupported');
  assert.equal((parsePepRequest('get', pubsub(`<publish node='n'/>`)) as StanzaError).condition, 'bad-request');
});

test('publish-options: known fields parsed, max is the limit, unknown or bad ones are problems', () => {
  assert.deepEqual(parseConfigForm(form({ 'pubsub#access_model': 'whitelist', 'pubsub#persist_items': '1', 'pubsub#max_items': 'max' }), NS_PUBLISH_OPTIONS, 50),
    { access_model: 'whitelist', persist_items: true, max_items: 50 });
  assert.deepEqual(parseConfigForm(form({ 'pubsub#deliver_payloads': 'true' }), NS_PUBLISH_OPTIONS, 50), {});
  for (const fields of [{ 'pubsub#frob': 'x' }, { 'pubsub#max_items': '51' }, { 'pubsub#access_model': 'roster' }, { 'pubsub#deliver_payloads': '0' }] as Record<string, string>[]) {
    assert.ok(isFieldProblem(parseConfigForm(form(fields), NS_PUBLISH_OPTIONS, 50)), JSON.stringify(fields));
  }
  assert.ok(isStanzaError(parseConfigForm(form({}, 'urn:other'), NS_PUBLISH_OPTIONS, 50)));
  assert.equal(meetsPreconditions(DEFAULT_CONFIG, { access_model: 'presence' }), true);
  assert.equal(meetsPreconditions(DEFAULT_CONFIG, { access_model: 'open' }), false);
  const shown = configForm(DEFAULT_CONFIG).getChildren('field').find((f: Element) => f.attrs.var === 'pubsub#max_items');
  assert.equal(shown?.getChildText('value'), '1');
});

test('publish keeps the newest max_items, moves a republished id, checks preconditions, creates with the options', () => {
  const item = (id: string) => ({ id, xml: `<p xmlns='urn:p'>${id}</p>` });
  let node = publishItem(undefined, item('a'), { max_items: 2 }, DEFAULT_CONFIG) as PepNode;
  assert.equal(node.config.max_items, 2);
  for (const id of ['b', 'a', 'c']) node = publishItem(node, item(id), {}, DEFAULT_CONFIG) as PepNode;
  assert.deepEqual(node.items.map((i) => i.id), ['a', 'c']);
  assert.equal(app(publishItem(node, item('d'), { max_items: 3 }, DEFAULT_CONFIG)), 'precondition-not-met');
  assert.deepEqual((publishItem(undefined, item('t'), { persist_items: false }, DEFAULT_CONFIG) as PepNode).items, []);
  assert.deepEqual(selectItems(node, [], 1).map((i) => i.id), ['c']);
  assert.deepEqual(selectItems(node, ['a', 'zz'], undefined).map((i) => i.id), ['a']);
  assert.equal((retractItems(node, ['zz']) as StanzaError).condition, 'item-not-found');
  assert.deepEqual((retractItems(node, ['a']) as PepNode).items.map((i) => i.id), ['c']);
  assert.deepEqual((configureNode(node, { max_items: 1 }) as PepNode).items.map((i) => i.id), ['c']);
});

test('access models and +notify features', () => {
  assert.equal(accessError('whitelist', { owner: true }), null);
  assert.equal(accessError('open', { owner: false, subscription: 'none' }), null);
  assert.equal(accessError('presence', { owner: false, subscription: 'from' }), null);
  assert.equal(app(accessError('presence', { owner: false, subscription: 'to' })), 'presence-subscription-required');
  assert.equal(app(accessError('whitelist', { owner: false, subscription: 'both' })), 'closed-node');
  assert.deepEqual(notifyNodes(['urn:xmpp:avatar:metadata+notify', 'urn:xmpp:ping', '+notify']), ['urn:xmpp:avatar:metadata']);
});

test('an application condition follows the defined one in the error stanza', () => {
  const err = publishItem({ config: DEFAULT_CONFIG, items: [] }, { id: 'x', xml: '<x/>' }, { access_model: 'open' }, DEFAULT_CONFIG) as StanzaError;
  const reply = errorReply(parse(`<iq type='set' id='1' from='a@b/c' to='a@b'/>`), err) as Element;
  const children = reply.getChild('error')?.getChildElements().map((c) => `${c.name} ${c.getNS()}`);
  assert.deepEqual(children, ['conflict urn:ietf:params:xml:ns:xmpp-stanzas', 'precondition-not-met http://jabber.org/protocol/pubsub#errors']);
});
