/** XEP-0115 §5: the verification string and `ver`, on the XEP's own examples, and the §5.4 checks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createElement, parse, type Element } from 'ltx';
import { capsVer, isSupportedHash, parseCaps, verificationString } from '../../src/caps/ver.js';
import { infoQuery, itemsQuery, parseInfo, type DiscoInfo } from '../../src/disco/info.js';

const FEATURES = [
  'http://jabber.org/protocol/caps', 'http://jabber.org/protocol/disco#info',
  'http://jabber.org/protocol/disco#items', 'http://jabber.org/protocol/muc',
];

/** §5.2 */
const simple: DiscoInfo = { identities: [{ category: 'client', type: 'pc', name: 'Exodus 0.9.1' }], features: [...FEATURES].reverse(), forms: [] };

const form = (formType: string | null, fields: [string, string[]][], hidden = true): Element => {
  const x = createElement('x', { xmlns: 'jabber:x:data', type: 'result' });
  if (formType !== null) x.cnode(createElement('field', { var: 'FORM_TYPE', ...(hidden ? { type: 'hidden' } : {}) }, createElement('value', null, formType)));
  for (const [v, values] of fields) x.cnode(createElement('field', { var: v }, ...values.map((value) => createElement('value', null, value))));
  return x;
};

/** §5.3, in a scrambled order (the algorithm sorts). */
const complex: DiscoInfo = {
  identities: [{ category: 'client', type: 'pc', lang: 'en', name: 'Psi 0.11' }, { category: 'client', type: 'pc', lang: 'el', name: 'Ψ 0.11' }],
  features: [FEATURES[2], FEATURES[0], FEATURES[3], FEATURES[1]] as string[],
  forms: [form('urn:xmpp:dataforms:softwareinfo', [
    ['software_version', ['0.11']], ['os', ['Mac']], ['ip_version', ['ipv6', 'ipv4']], ['software', ['Psi']], ['os_version', ['10.5.1']],
  ])],
};

describe('entity capabilities (XEP-0115 §5)', () => {
  it('§5.2 simple generation example', () => {
    assert.equal(verificationString(simple), `client/pc//Exodus 0.9.1<${FEATURES.join('<')}<`);
    assert.equal(capsVer(simple, 'sha-1'), 'QgayPKawpkPSDYmwT/WM94uAlu0=');
  });

  it('§5.3 complex generation example (identities by lang, forms, fields and values sorted)', () => {
    assert.equal(
      verificationString(complex),
      'client/pc/el/Ψ 0.11<client/pc/en/Psi 0.11<' + FEATURES.join('<') + '<urn:xmpp:dataforms:softwareinfo<' +
        'ip_version<ipv4<ipv6<os<Mac<os_version<10.5.1<software<Psi<software_version<0.11<',
    );
    assert.equal(capsVer(complex, 'sha-1'), 'q07IKJEyjvHSyhy//CH0CxmKi8w=');
  });

  it('the same through the XML: parseInfo of a disco#info answer', () => {
    const xml = infoQuery('', complex);
    assert.equal(capsVer(parseInfo(parse(xml.toString()) as Element), 'sha-1'), 'q07IKJEyjvHSyhy//CH0CxmKi8w=');
  });

  it('sorts by UTF-8 octets, not UTF-16 code units', () => {
    // U+FF5E (one UTF-16 unit, EF BD 9E) sorts before U+1F600 (a surrogate pair, F0 9F 98 80) in octets, after it in UTF-16.
    const s = verificationString({ identities: [], features: ['\u{1F600}', '\uFF5E'], forms: [] });
    assert.equal(s, '\uFF5E<\u{1F600}<');
  });

  it('§5.4 3.3–3.5: duplicate identities, features or FORM_TYPEs, or a FORM_TYPE with two values, are ill-formed', () => {
    assert.equal(capsVer({ ...simple, identities: [...simple.identities, ...simple.identities] }, 'sha-1'), null);
    assert.equal(capsVer({ ...simple, features: [...simple.features, FEATURES[0] as string] }, 'sha-1'), null);
    assert.equal(capsVer({ ...complex, forms: [...complex.forms, form('urn:xmpp:dataforms:softwareinfo', [])] }, 'sha-1'), null);
    const twoTypes = form('a', []);
    twoTypes.getChild('field')?.cnode(createElement('value', null, 'b'));
    assert.equal(capsVer({ ...simple, forms: [twoTypes] }, 'sha-1'), null);
  });

  it('§5.4 3.6: a form without a hidden FORM_TYPE is left out, not fatal', () => {
    const ver = capsVer(simple, 'sha-1');
    assert.equal(capsVer({ ...simple, forms: [form(null, [['x', ['1']]])] }, 'sha-1'), ver);
    assert.equal(capsVer({ ...simple, forms: [form('urn:x', [['x', ['1']]], false)] }, 'sha-1'), ver);
  });

  it('other hashes of the registry; an unknown one gives no ver', () => {
    assert.ok(isSupportedHash('sha-256') && !isSupportedHash('sha1') && !isSupportedHash('__proto__'));
    assert.equal(capsVer(simple, 'sha-256')?.length, 44);
    assert.equal(capsVer(simple, 'whirlpool'), null);
  });

  it('parseCaps reads <c/>; the legacy format (no hash) is ignored', () => {
    const c = (attrs: Record<string, string>) => createElement('presence', null, createElement('c', { xmlns: 'http://jabber.org/protocol/caps', ...attrs }));
    assert.deepEqual(parseCaps(c({ node: 'n', ver: 'v', hash: 'sha-1' })), { node: 'n', ver: 'v', hash: 'sha-1' });
    assert.equal(parseCaps(c({ node: 'n', ver: '1.0', ext: 'x' })), null);
    assert.equal(parseCaps(createElement('presence')), null);
  });
});

describe('disco builders (XEP-0030 §3.1, §4.1)', () => {
  it('info: node echoed, identities, features sorted once', () => {
    const q = infoQuery('n1', { identities: [{ category: 'server', type: 'im', name: 'Troupe' }], features: ['b', 'a', 'b'], forms: [] });
    assert.equal(q.toString(), `<query xmlns="http://jabber.org/protocol/disco#info" node="n1"><identity category="server" type="im" name="Troupe"/><feature var="a"/><feature var="b"/></query>`);
  });

  it('items: no node attribute at the root', () => {
    const q = itemsQuery('', [{ jid: 'conference.localhost', name: 'Rooms' }, { jid: 'a@localhost', node: 'x' }]);
    assert.equal(q.toString(), `<query xmlns="http://jabber.org/protocol/disco#items"><item jid="conference.localhost" name="Rooms"/><item jid="a@localhost" node="x"/></query>`);
  });
});
