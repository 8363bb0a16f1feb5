import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzParams } from '../support/fuzz.js';
import { jid, Jid, JidMalformedError, nameprep, nodeprep, parseJid, resourceprep, tryParseJid } from '../../src/jid.js';

describe('RFC 7622 §3.5 examples', () => {
  const legal: [string, string][] = [
    ['juliet@example.com', 'juliet@example.com'],
    ['juliet@example.com/foo', 'juliet@example.com/foo'],
    ['juliet@example.com/foo bar', 'juliet@example.com/foo bar'],
    ['juliet@example.com/foo@bar', 'juliet@example.com/foo@bar'],
    ['foo\\20bar@example.com', 'foo\\20bar@example.com'],
    ['fussball@example.com', 'fussball@example.com'],
    ['fu\u00dfball@example.com', 'fu\u00dfball@example.com'],
    ['\u03c0@example.com', '\u03c0@example.com'],
    ['\u03a3@example.com/foo', '\u03c3@example.com/foo'],
    ['\u03c3@example.com/foo', '\u03c3@example.com/foo'],
    ['\u03c2@example.com/foo', '\u03c2@example.com/foo'],
    ['king@example.com/\u265a', 'king@example.com/\u265a'],
    ['example.com', 'example.com'],
    ['example.com/foobar', 'example.com/foobar'],
    ['a.example.com/b@example.net', 'a.example.com/b@example.net'],
  ];
  for (const [input, prepared] of legal) {
    it(`accepts ${input}`, () => assert.equal(parseJid(input).toString(), prepared));
  }

  it('splits at the first "/" before looking for "@" (example 15)', () => {
    const j = parseJid('a.example.com/b@example.net');
    assert.deepEqual([j.local, j.domain, j.resource], ['', 'a.example.com', 'b@example.net']);
  });

  it('keeps final sigma distinct from sigma (examples 9-11)', () => {
    assert.ok(parseJid('\u03a3@example.com').equals(parseJid('\u03c3@example.com')));
    assert.ok(!parseJid('\u03c2@example.com').equals(parseJid('\u03c3@example.com')));
  });

  // Example 18 (leading space in a resourcepart) is not listed: the OpaqueString profile
  // (RFC 8265 §4.2) has no rule against it, so it is accepted here.
  const illegal = [
    '"juliet"@example.com',
    'foo bar@example.com',
    '@example.com/',
    'henry\u2163@example.com',
    '\u265a@example.com',
    'juliet@',
    '/foobar',
  ];
  for (const input of illegal) {
    it(`rejects ${input}`, () => assert.throws(() => parseJid(input), JidMalformedError));
  }
});

describe('preparation', () => {
  it('case-folds localpart and domainpart, preserves resourcepart case', () => {
    assert.equal(parseJid('Juliet@Example.COM/Balcony').toString(), 'juliet@example.com/Balcony');
  });

  it('maps fullwidth letters in localpart and domainpart, not in resourcepart', () => {
    const j = parseJid('\uff2a\uff55\uff4c\uff49\uff45\uff54@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com/\uff32');
    assert.equal(j.toString(), 'juliet@example.com/\uff32');
  });

  it('maps non-ASCII spaces to ASCII space in the resourcepart and applies NFC', () => {
    assert.equal(resourceprep('a\u00a0b'), 'a b');
    assert.equal(resourceprep('e\u0301'), '\u00e9');
  });

  it('strips a final dot and converts A-labels to U-labels', () => {
    assert.equal(parseJid('romeo@example.net.').domain, 'example.net');
    assert.equal(parseJid('romeo@XN--bcher-kva.example').domain, 'b\u00fccher.example');
    assert.equal(nameprep('B\u00dcCHER.example'), 'b\u00fccher.example');
  });

  it('accepts IP literals', () => {
    assert.equal(parseJid('romeo@192.0.2.1/x').domain, '192.0.2.1');
    assert.equal(parseJid('romeo@[2001:DB8::1]').domain, '[2001:db8::1]');
  });

  it('rejects bad domainparts', () => {
    for (const d of ['a..b', '.', 'ex_ample.com', '-a.com', 'ab--c.com', '0x7f.1', '\u2603.net', '[not-ip]', 'xn--abc.com']) {
      assert.equal(nameprep(d), null, d);
    }
    assert.equal(nameprep(`${'a'.repeat(64)}.com`), null);
    assert.equal(nameprep(`${'a'.repeat(63)}.com`), `${'a'.repeat(63)}.com`);
  });

  it('enforces the 1023-octet limit on each part', () => {
    assert.equal(nodeprep('a'.repeat(1023)), 'a'.repeat(1023));
    assert.equal(nodeprep('a'.repeat(1024)), null);
    assert.equal(nodeprep('\u00e9'.repeat(512)), null); // 1024 octets of UTF-8
    assert.equal(resourceprep('r'.repeat(1024)), null);
  });

  it('rejects control, unassigned, surrogate and private-use code points in the resourcepart', () => {
    for (const r of ['a\u0007', 'a\u0378', 'a\ud800', 'a\ue000', 'a\u200b']) assert.equal(resourceprep(r), null, r);
  });

  it('applies contextual rules and the Bidi Rule to localparts', () => {
    assert.equal(nodeprep('l\u00b7l'), 'l\u00b7l');
    assert.equal(nodeprep('a\u00b7b'), null);
    assert.equal(nodeprep('\u0661\u06f1'), null);
    assert.equal(nodeprep('\u05e9\u05dc\u05d5\u05dd'), '\u05e9\u05dc\u05d5\u05dd');
    assert.equal(nodeprep('a\u05e9'), null);
  });
});

describe('Jid', () => {
  it('builds from parts and exposes bare forms', () => {
    const j = jid('Romeo', 'Example.net', 'orchard');
    assert.ok(j instanceof Jid);
    assert.equal(j.toString(), 'romeo@example.net/orchard');
    assert.equal(j.bareString(), 'romeo@example.net');
    assert.ok(!j.isBare());
    assert.ok(j.bare().isBare());
    assert.ok(j.bare().equals(parseJid('romeo@example.net')));
    assert.equal(jid('', 'example.net').toString(), 'example.net');
    assert.throws(() => jid('a@b', 'example.net'), JidMalformedError);
  });

  it('tryParseJid returns null instead of throwing', () => {
    assert.equal(tryParseJid('@x'), null);
    assert.equal(tryParseJid('x')?.domain, 'x');
  });
});

describe('properties', () => {
  const jidChars = fc.constantFrom(
    'a', 'Z', '0', '.', '-', '@', '/', ' ', '"', '\u00df', '\u03a3', '\u00e9', 'e\u0301', '\uff21', '\u3002',
    '\u2163', '\u265a', '\u05e9', '\u0661', '\u200d', '\u0000', '\ud800', 'xn--', '\u00a0', '[', ']', ':',
  );
  const inputs = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.array(jidChars, { maxLength: 20 }).map((a) => a.join('')),
  );

  it('parseJid only throws JidMalformedError, and prepared output re-parses to itself', () => {
    fc.assert(
      fc.property(inputs, (s) => {
        let j: Jid;
        try {
          j = parseJid(s);
        } catch (e) {
          return e instanceof JidMalformedError;
        }
        const again = parseJid(j.toString());
        return again.equals(j) && again.toString() === j.toString();
      }),
      fuzzParams(500),
    );
  });
});
