import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createElement } from 'ltx';
import { errorReply, iqResult, isStanzaError, stanzaError } from '../../src/stanza/error.js';
import { NS_CLIENT, NS_STANZAS } from '../../src/xml/ns.js';

describe('stanza errors (RFC 6120 §8.3)', () => {
  const iq = () => createElement('iq', { xmlns: NS_CLIENT, from: 'a@b/c', to: 'b', type: 'get', id: 'q1' }, createElement('query', { xmlns: 'x' }));

  it('stanzaError picks the RFC 6120 §8.3.3 default type', () => {
    for (const [condition, type] of [
      ['bad-request', 'modify'], ['service-unavailable', 'cancel'], ['not-authorized', 'auth'], ['internal-server-error', 'cancel'],
      ['jid-malformed', 'modify'], ['forbidden', 'auth'], ['item-not-found', 'cancel'], ['not-acceptable', 'modify'],
      ['resource-constraint', 'wait'], ['policy-violation', 'modify'], ['remote-server-not-found', 'cancel'],
      ['feature-not-implemented', 'cancel'], ['conflict', 'cancel'], ['not-allowed', 'cancel'], ['recipient-unavailable', 'wait'],
    ] as const) assert.deepEqual(stanzaError(condition), { type, condition });
    assert.deepEqual(stanzaError('conflict', 'taken'), { type: 'cancel', condition: 'conflict', text: 'taken' });
  });

  it('isStanzaError tells errors from other values', () => {
    assert.ok(isStanzaError(stanzaError('bad-request')));
    for (const x of [null, undefined, 'bad-request', iq(), { type: 'cancel', condition: 'nope' }, { type: 'nope', condition: 'conflict' }]) assert.equal(isStanzaError(x), false);
  });

  it('errorReply swaps from/to, keeps id and children, appends <error/>, and does not touch the original', () => {
    const original = iq();
    const before = String(original);
    const reply = errorReply(original, { ...stanzaError('item-not-found', 'gone'), lang: 'en' });
    assert.ok(reply);
    assert.equal(String(original), before);
    assert.deepEqual(reply.attrs, { xmlns: NS_CLIENT, from: 'b', to: 'a@b/c', type: 'error', id: 'q1' });
    assert.ok(reply.getChild('query', 'x'));
    const error = reply.getChild('error');
    assert.equal(error?.attrs.type, 'cancel');
    assert.ok(error?.getChild('item-not-found', NS_STANZAS));
    assert.equal(error?.getChild('text', NS_STANZAS)?.attrs['xml:lang'], 'en');
    assert.equal(error?.getChildText('text', NS_STANZAS), 'gone');
    assert.equal(reply.getChildElements().at(-1), error);
  });

  it('errorReply never answers an error or an IQ result', () => {
    assert.equal(errorReply(createElement('message', { type: 'error' }), stanzaError('bad-request')), null);
    assert.equal(errorReply(createElement('presence', { type: 'error' }), stanzaError('bad-request')), null);
    assert.equal(errorReply(createElement('iq', { type: 'error', id: '1' }), stanzaError('bad-request')), null);
    assert.equal(errorReply(createElement('iq', { type: 'result', id: '1' }), stanzaError('bad-request')), null);
    assert.ok(errorReply(createElement('message', { to: 'x' }), stanzaError('service-unavailable')));
  });

  it('iqResult swaps from/to and keeps the id', () => {
    const result = iqResult(iq(), createElement('bind', { xmlns: 'urn:ietf:params:xml:ns:xmpp-bind' }));
    assert.deepEqual(result.attrs, { xmlns: NS_CLIENT, type: 'result', id: 'q1', to: 'a@b/c', from: 'b' });
    assert.ok(result.getChild('bind'));
  });
});
