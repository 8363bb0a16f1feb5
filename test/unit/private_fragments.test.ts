/** XEP-0049 query fragments and reserved namespaces (src/private/fragments.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'ltx';
import { isStanzaError } from '../../src/stanza/error.js';
import { isReservedNamespace, queryFragments } from '../../src/private/fragments.js';

const q = (inner: string) => parse(`<query xmlns='jabber:iq:private'>${inner}</query>`);

test('each child is a fragment keyed by name and namespace', () => {
  const f = queryFragments(q(`<exodus xmlns='exodus:prefs'><n>1</n></exodus><storage xmlns='storage:bookmarks'/>`));
  assert.ok(Array.isArray(f));
  assert.deepEqual(f.map((x) => [x.name, x.ns]), [['exodus', 'exodus:prefs'], ['storage', 'storage:bookmarks']]);
});

test('an empty query is bad-request', () => {
  const f = queryFragments(q(''));
  assert.ok(isStanzaError(f));
  assert.equal(f.condition, 'bad-request');
});

test('reserved or missing namespaces are not-acceptable', () => {
  for (const inner of [`<vCard xmlns='vcard-temp'/>`, `<query xmlns='jabber:iq:roster'/>`, `<x xmlns='http://jabber.org/protocol/disco#info'/>`, '<bare/>', `<p:x xmlns:p='urn:p'/>`]) {
    const f = queryFragments(q(inner));
    assert.ok(isStanzaError(f), inner);
    assert.equal(f.condition, 'not-acceptable', inner);
  }
  assert.equal(isReservedNamespace('jabberwocky:x'), false);
  assert.equal(isReservedNamespace('storage:bookmarks'), false);
});
