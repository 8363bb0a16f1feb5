/**
 * Fuzzing the code that reads what clients send (issue #8): XML streams built from an XMPP-ish
 * grammar, then mutated and cut at random, into the stream parser (TCP and WebSocket framing);
 * JIDs assembled from hostile parts; SASL payloads, PLAIN messages and SCRAM exchanges with
 * random names, passwords, nonces, salts and iteration counts, then with mutated values.
 * Properties: nothing throws, every bad input ends in one defined error, and what the parser
 * holds for a connection stays within the stanza size limit. `npm run fuzz` runs more.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Element } from 'ltx';
import { fuzzParams, mutateBytes, xmlElement } from '../support/fuzz.js';
import { StreamParser } from '../../src/xml/stream_parser.js';
import { STREAM_ERROR_CONDITIONS } from '../../src/xml/stream_error.js';
import { NS_STREAMS } from '../../src/xml/ns.js';
import { Jid, JidMalformedError, jid, parseJid, tryParseJid } from '../../src/jid.js';
import { decodeSaslPayload, encodeSaslPayload } from '../../src/sasl/payload.js';
import { parsePlain } from '../../src/sasl/plain.js';
import { ScramServer, type SaslFailure } from '../../src/sasl/scram.js';
import { deriveScramCredentials, digest, hmac, saltedPassword, type ScramHash } from '../../src/sasl/scram_credentials.js';

const HEADER = `<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='${NS_STREAMS}' version='1.0'>`;
const CONDITIONS: readonly string[] = STREAM_ERROR_CONDITIONS;

const stream = fc.array(xmlElement, { maxLength: 6 }).map((els) => HEADER + els.join('\n') + (els.length % 2 ? '</stream:stream>' : ''));

const cuts = fc.array(fc.nat(), { maxLength: 8 });

/** Feeds `input` in pieces; returns the events, and the most bytes the parser held meanwhile. */
function feed(input: Buffer, at: number[], options: { maxStanzaSize?: number; framing?: 'tcp' | 'websocket' } = {}) {
  const events: [string, unknown][] = [];
  const parser = new StreamParser(
    {
      streamStart: (attrs) => events.push(['start', attrs]),
      stanza: (el) => events.push(['stanza', el]),
      streamEnd: () => events.push(['end', null]),
      error: (err) => events.push(['error', err.condition]),
    },
    { maxStanzaSize: options.maxStanzaSize ?? 262144, maxDepth: 32, framing: options.framing ?? 'tcp' },
  );
  const points = [...at.map((c) => c % (input.length + 1)), input.length].sort((a, b) => a - b);
  let held = 0;
  points.forEach((p, i) => {
    parser.write(input.subarray(i ? points[i - 1] : 0, p));
    held = Math.max(held, heldBytes(parser));
  });
  return { events, held };
}

/** What the parser keeps between writes: the scanner's unreleased text and the element being built. */
function heldBytes(parser: StreamParser): number {
  const p = parser as unknown as { scanner: { pending: string[]; carry: string }; cur: Element | null };
  let top = p.cur;
  while (top?.parent) top = top.parent;
  return p.scanner.pending.reduce((n, s) => n + s.length, p.scanner.carry.length) + (top ? top.toString().length : 0);
}

function assertOneDefinedErrorLast(events: [string, unknown][]): void {
  const errs = events.filter((e) => e[0] === 'error');
  assert.ok(errs.length <= 1, `one error at most: ${errs.map((e) => e[1]).join(',')}`);
  if (errs.length) {
    assert.equal(events.at(-1)?.[0], 'error', 'nothing after the error');
    assert.ok(CONDITIONS.includes(errs[0]?.[1] as string), `a defined condition: ${String(errs[0]?.[1])}`);
    assert.notEqual(errs[0]?.[1], 'internal-server-error', 'the parser itself never fails');
  }
}

describe('fuzz: XML stream (RFC 6120 §4, §11; RFC 7395)', () => {
  it('grammar-built streams: well-formed ones parse without error, stanzas re-serialise to themselves', () => {
    fc.assert(
      fc.property(stream, cuts, (s, at) => {
        const { events } = feed(Buffer.from(s), at);
        assertOneDefinedErrorLast(events);
        for (const [kind, el] of events) {
          if (kind !== 'stanza') continue;
          const again = feed(Buffer.from(HEADER + String(el)), []).events.filter((e) => e[0] === 'stanza');
          assert.equal(again.length, 1);
          assert.equal(String(again[0]?.[1]), String(el));
        }
      }),
      fuzzParams(300),
    );
  });

  it('mutated streams, cut anywhere: no exception, at most one defined error, last', () => {
    fc.assert(
      fc.property(mutateBytes(stream), cuts, (input, at) => assertOneDefinedErrorLast(feed(input, at).events)),
      fuzzParams(400),
    );
  });

  it('mutated WebSocket messages (one element each): the same', () => {
    const message = fc.oneof(xmlElement, fc.constant(`<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>`));
    fc.assert(
      fc.property(mutateBytes(message), (input) => assertOneDefinedErrorLast(feed(input, [], { framing: 'websocket' }).events)),
      fuzzParams(300),
    );
  });

  it('memory per connection stays bounded: never much more than the stanza size limit is held', () => {
    const limit = 2048;
    const big = fc.tuple(fc.nat(20), fc.constantFrom('<message><body>', '<a b="', '<x>', '', '<![CDATA['), fc.constantFrom('x', 'é', ' ', '&amp;', '<b/>', '<c>'));
    const input = fc.tuple(mutateBytes(stream), big).map(([s, [k, open, unit]]) => Buffer.concat([s, Buffer.from(open + unit.repeat(500 * (k + 1)))]));
    fc.assert(
      fc.property(input, cuts, (bytes, at) => {
        const { events, held } = feed(bytes, at, { maxStanzaSize: limit });
        assertOneDefinedErrorLast(events);
        // The limit is checked per 8 KiB slice (stream_parser.ts SLICE); an escaped CDATA byte may grow to 5 characters.
        assert.ok(held <= 5 * (limit + 8192), `held ${held} characters`);
      }),
      fuzzParams(200),
    );
  });
});

// ---- JIDs (RFC 7622) ---------------------------------------------------------------------

describe('fuzz: JID parser (RFC 7622)', () => {
  const part = fc.array(
    fc.constantFrom('a', 'Ω', 'é', 'e\u0301', 'ß', '\u0130', 'ǅ', '\u2163', '\uff21', '\u3002', '.', '-', '@', '/', '"', ' ', '\u00a0', '\u200b', '\u0000', '\ud800', '\u05d0', '1', 'xn--', '[', '::1', ']'),
    { maxLength: 12 },
  ).map((a) => a.join(''));

  it('parts joined in any way: parseJid returns a Jid that re-parses to itself, or throws JidMalformedError', () => {
    fc.assert(
      fc.property(part, part, part, fc.boolean(), fc.boolean(), (local, domain, resource, withLocal, withResource) => {
        const s = `${withLocal ? `${local}@` : ''}${domain}${withResource ? `/${resource}` : ''}`;
        let parsed: Jid;
        try {
          parsed = parseJid(s);
        } catch (e) {
          assert.ok(e instanceof JidMalformedError, String(e));
          assert.equal(tryParseJid(s), null);
          return;
        }
        assert.ok(parsed.equals(parseJid(parsed.toString())));
        assert.ok(parsed.bare().isBare());
        assert.equal(parsed.bare().toString(), parsed.bareString());
        assert.ok(jid(parsed.local, parsed.domain, parsed.resource).equals(parsed));
        assert.ok(Buffer.byteLength(parsed.local) <= 1023 && Buffer.byteLength(parsed.domain) <= 1023 && Buffer.byteLength(parsed.resource) <= 1023);
      }),
      fuzzParams(500),
    );
  });
});

// ---- SASL (RFC 4616, RFC 5802, RFC 6120 §6) ------------------------------------------------

const isFailure = (r: object): r is SaslFailure => 'failure' in r;
const FAILURES = ['not-authorized', 'malformed-request', 'invalid-authzid', 'invalid-mechanism', 'encryption-required', 'mechanism-too-weak',
  'temporary-auth-failure', 'aborted', 'incorrect-encoding', 'account-disabled', 'credentials-expired'];

/** A SCRAM client (RFC 5802 §3), independent of the server code but for the key derivation. */
async function clientFinal(hash: ScramHash, password: string, serverFirst: string, bare: string, gs2: string): Promise<{ msg: string; signature: Buffer }> {
  const nonce = /^r=([^,]+)/.exec(serverFirst)?.[1] ?? '';
  const salt = Buffer.from(/,s=([^,]+)/.exec(serverFirst)?.[1] ?? '', 'base64');
  const iterations = Number(/,i=(\d+)/.exec(serverFirst)?.[1]);
  const salted = (await saltedPassword(password, hash, salt, iterations)) as Buffer;
  const withoutProof = `c=${Buffer.from(gs2).toString('base64')},r=${nonce}`;
  const auth = `${bare},${serverFirst},${withoutProof}`;
  const clientKey = hmac(hash, salted, 'Client Key');
  const signature = hmac(hash, digest(hash, clientKey), auth);
  const proof = Buffer.from(clientKey.map((x, i) => x ^ (signature[i] as number)));
  return { msg: `${withoutProof},p=${proof.toString('base64')}`, signature: hmac(hash, hmac(hash, salted, 'Server Key'), auth) };
}

describe('fuzz: SASL', () => {
  const saslName = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom('a', 'B', 'é', 'ß', ',', '=', ' ', '\u2163', 'Ω', '@', '\u00a0') });
  const password = fc.string({ minLength: 1, maxLength: 16, unit: fc.constantFrom('p', 'W', '1', ' ', 'é', '\u00a0', '\u2163', ',', '=', 'Ω', '😀') });
  const nonce = fc.string({ minLength: 1, maxLength: 24, unit: fc.constantFrom('a', 'Z', '9', '+', '/', '!', '~', '=') });
  const encodeName = (s: string) => s.replaceAll('=', '=3D').replaceAll(',', '=2C');

  it('payloads: decodeSaslPayload never throws and inverts encodeSaslPayload', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (s, bytes) => {
        const decoded = decodeSaslPayload(s);
        assert.ok(Buffer.isBuffer(decoded) || decoded.failure === 'incorrect-encoding');
        assert.deepEqual(decodeSaslPayload(encodeSaslPayload(Buffer.from(bytes))), Buffer.from(bytes));
      }),
      fuzzParams(500),
    );
  });

  it('PLAIN: any bytes give credentials or a defined failure, never an exception', () => {
    const message = fc.oneof(
      fc.uint8Array({ maxLength: 60 }).map((a) => Buffer.from(a)),
      fc.tuple(saslName, saslName, password).map(([z, c, p]) => Buffer.from(`${z}\0${c}\0${p}`)),
    );
    fc.assert(
      fc.property(message, (m) => {
        const r = parsePlain(m);
        if (isFailure(r)) assert.ok(FAILURES.includes(r.failure));
        else assert.ok(r.authcid.length > 0 && r.password.length > 0);
      }),
      fuzzParams(500),
    );
  });

  it('SCRAM: a correct client always succeeds, whatever its name, password, nonce, salt and iteration count', async () => {
    await fc.assert(
      fc.asyncProperty(saslName, password, nonce, fc.uint8Array({ minLength: 1, maxLength: 24 }), fc.integer({ min: 1, max: 64 }), fc.constantFrom<ScramHash>('sha1', 'sha256'),
        async (name, pw, cnonce, salt, iterations, hash) => {
          const server = new ScramServer({ hash, plus: false, serverSupportsPlus: false });
          const bare = `n=${encodeName(name)},r=${cnonce}`;
          const first = server.clientFirst(Buffer.from(`n,,${bare}`));
          if (isFailure(first)) return assert.ok(FAILURES.includes(first.failure)); // a name PRECIS refuses
          const creds = await deriveScramCredentials(pw, hash, iterations, Buffer.from(salt)).catch(() => null);
          if (creds === null) return; // a password PRECIS refuses cannot be registered
          const serverFirst = server.serverFirst(creds).toString();
          const { msg, signature } = await clientFinal(hash, pw, serverFirst, bare, 'n,,');
          const final = server.clientFinal(Buffer.from(msg));
          assert.ok(!isFailure(final), JSON.stringify(final));
          assert.equal(final.serverFinal.toString(), `v=${signature.toString('base64')}`);
        }),
      fuzzParams(60),
    );
  });

  it('SCRAM: a mutated client-final never succeeds and never throws', async () => {
    const creds = await deriveScramCredentials('pencil', 'sha256', 16, Buffer.from('salt'));
    const mutation = fc.tuple(fc.nat(), fc.nat(4), fc.string({ maxLength: 4, unit: fc.constantFrom('a', ',', '=', 'p', 'r', 'c', '\0', 'é', '+') }));
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (edits) => {
        const server = new ScramServer({ hash: 'sha256', plus: false, serverSupportsPlus: false });
        server.clientFirst(Buffer.from('n,,n=juliet,r=abc'));
        const serverFirst = server.serverFirst(creds).toString();
        const { msg } = await clientFinal('sha256', 'pencil', serverFirst, 'n=juliet,r=abc', 'n,,');
        let m = msg;
        for (const [at, del, ins] of edits) {
          const i = at % (m.length + 1);
          m = m.slice(0, i) + ins + m.slice(i + del);
        }
        const final = server.clientFinal(Buffer.from(m));
        if (m === msg) return assert.ok(!isFailure(final)); // the edits cancelled out
        // Only a change the proof does not cover may pass: none exists, every byte is signed or checked.
        assert.ok(isFailure(final), `accepted a mutated client-final: ${m}`);
        assert.ok(FAILURES.includes(final.failure));
      }),
      fuzzParams(200),
    );
  });
});
