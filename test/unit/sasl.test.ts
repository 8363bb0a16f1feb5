import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzParams } from '../support/fuzz.js';
import { offeredMechanisms, scramParams } from '../../src/sasl/mechanisms.js';
import { decodeBase64Strict, decodeSaslPayload, encodeSaslPayload } from '../../src/sasl/payload.js';
import { parsePlain, verifyPlainAgainstScram } from '../../src/sasl/plain.js';
import { preparePassword, prepareUsername } from '../../src/sasl/saslprep.js';
import { ScramServer, type SaslFailure, type ScramServerOptions } from '../../src/sasl/scram.js';
import { deriveScramCredentials, type ScramCredentials, type ScramHash } from '../../src/sasl/scram_credentials.js';

const b = (s: string): Buffer => Buffer.from(s);
const isFailure = (r: object): r is SaslFailure => 'failure' in r;
const failureOf = (r: object): string | undefined => (isFailure(r) ? r.failure : undefined);

/** The client side of RFC 5802 §3, written independently of the server code. */
function withProof(hash: ScramHash, password: string, serverFirst: string, bare: string, withoutProof: string): string {
  const salt = Buffer.from(/,s=([^,]+)/.exec(serverFirst)![1], 'base64');
  const iterations = Number(/,i=(\d+)/.exec(serverFirst)![1]);
  const salted = pbkdf2Sync(password, salt, iterations, hash === 'sha1' ? 20 : 32, hash);
  const clientKey = createHmac(hash, salted).update('Client Key').digest();
  const storedKey = createHash(hash).update(clientKey).digest();
  const signature = createHmac(hash, storedKey).update(`${bare},${serverFirst},${withoutProof}`).digest();
  return `${withoutProof},p=${Buffer.from(clientKey.map((x, i) => x ^ signature[i])).toString('base64')}`;
}

/** Runs a whole exchange; `cbind` is what the client puts in c= (default: its gs2 header). */
function exchange(opts: ScramServerOptions, gs2: string, creds: ScramCredentials | null, password: string, cbind = b(gs2)) {
  const server = new ScramServer(opts);
  const bare = 'n=juliet,r=cn0nce';
  const first = server.clientFirst(b(gs2 + bare));
  if (isFailure(first)) return first;
  const serverFirst = server.serverFirst(creds).toString();
  const nonce = /^r=([^,]+)/.exec(serverFirst)![1];
  return server.clientFinal(b(withProof(opts.hash, password, serverFirst, bare, `c=${cbind.toString('base64')},r=${nonce}`)));
}

describe('SCRAM test vectors', () => {
  it('RFC 5802 §5: SCRAM-SHA-1', async () => {
    const creds = await deriveScramCredentials('pencil', 'sha1', 4096, Buffer.from('QSXCR+Q6sek8bf92', 'base64'));
    const server = new ScramServer({ hash: 'sha1', plus: false, serverSupportsPlus: false, serverNonce: '3rfcNHYJY1ZVvWVs7j' });
    assert.deepEqual(server.clientFirst(b('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL')), { username: 'user' });
    assert.equal(server.serverFirst(creds).toString(), 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    const final = server.clientFinal(b('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts='));
    assert.ok(!isFailure(final));
    assert.equal(final.serverFinal.toString(), 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=');
    assert.equal(final.username, 'user');
  });

  it('RFC 7677 §3: SCRAM-SHA-256', async () => {
    const creds = await deriveScramCredentials('pencil', 'sha256', 4096, Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'));
    const server = new ScramServer({ hash: 'sha256', plus: false, serverSupportsPlus: false, serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' });
    assert.deepEqual(server.clientFirst(b('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')), { username: 'user' });
    assert.equal(
      server.serverFirst(creds).toString(),
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    );
    const final = server.clientFinal(
      b('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='),
    );
    assert.ok(!isFailure(final));
    assert.equal(final.serverFinal.toString(), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });
});

describe('ScramServer', () => {
  let creds256: ScramCredentials;
  let creds1: ScramCredentials;
  const plain256: ScramServerOptions = { hash: 'sha256', plus: false, serverSupportsPlus: false };
  const exporter = { type: 'tls-exporter', data: b('exported-keying-material-32bytes') };
  const plus256: ScramServerOptions = { hash: 'sha256', plus: true, serverSupportsPlus: true, channelBinding: exporter };
  before(async () => {
    creds256 = await deriveScramCredentials('secret', 'sha256', 64);
    creds1 = await deriveScramCredentials('secret', 'sha1', 64);
  });

  it('accepts the right password and rejects a wrong one', () => {
    assert.ok(!isFailure(exchange(plain256, 'n,,', creds256, 'secret')));
    assert.ok(!isFailure(exchange({ ...plain256, hash: 'sha1' }, 'n,,', creds1, 'secret')));
    assert.equal(failureOf(exchange(plain256, 'n,,', creds256, 'wrong')), 'not-authorized');
  });

  it('fails an unknown user only at the final step, with a stable fake salt', () => {
    const firsts = [0, 1].map(() => {
      const server = new ScramServer(plain256);
      server.clientFirst(b('n,,n=ghost,r=abc'));
      return server.serverFirst(null).toString();
    });
    assert.match(firsts[0], /^r=abc[^,]+,s=[A-Za-z0-9+/]{22}==,i=4096$/);
    assert.equal(firsts[0].split(',')[1], firsts[1].split(',')[1]);
    assert.equal(failureOf(exchange(plain256, 'n,,', null, 'secret')), 'not-authorized');
  });

  it('returns the authzid and decodes saslnames', () => {
    const server = new ScramServer(plain256);
    assert.deepEqual(server.clientFirst(b('n,a=admin=2Cx=3Dy,n=Us=3Der,r=abc')), { username: 'us=er', authzid: 'admin,x=y' });
  });

  it('-PLUS: succeeds with matching channel binding data, fails with other data', () => {
    const gs2 = 'p=tls-exporter,,';
    assert.ok(!isFailure(exchange(plus256, gs2, creds256, 'secret', Buffer.concat([b(gs2), exporter.data]))));
    const other = Buffer.concat([b(gs2), b('some-other-connection-keying-mat')]);
    assert.equal(failureOf(exchange(plus256, gs2, creds256, 'secret', other)), 'not-authorized');
    assert.equal(failureOf(exchange(plus256, gs2, creds256, 'secret', b(gs2))), 'not-authorized');
    assert.equal(failureOf(exchange(plus256, gs2, creds256, 'secret', b('n,,'))), 'malformed-request');
  });

  it('-PLUS: rejects another binding type, and flags other than p=', () => {
    assert.equal(failureOf(exchange(plus256, 'p=tls-unique,,', creds256, 'secret')), 'malformed-request');
    assert.equal(failureOf(exchange(plus256, 'n,,', creds256, 'secret')), 'malformed-request');
    assert.equal(failureOf(exchange(plus256, 'y,,', creds256, 'secret')), 'malformed-request');
    assert.equal(failureOf(exchange({ ...plain256, channelBinding: exporter }, 'p=tls-exporter,,', creds256, 'secret')), 'malformed-request');
  });

  it("'y' flag: a downgrade when -PLUS was offered, fine otherwise (RFC 5802 §6)", () => {
    assert.equal(failureOf(exchange({ ...plain256, serverSupportsPlus: true }, 'y,,', creds256, 'secret')), 'not-authorized');
    assert.ok(!isFailure(exchange(plain256, 'y,,', creds256, 'secret')));
  });

  it('rejects malformed client-first-messages with malformed-request', () => {
    for (const msg of ['n,,n=juliet', 'n,,r=abc', 'n,,m=ext,n=juliet,r=abc', 'x,,n=juliet,r=abc', 'n,a=,n=juliet,r=abc',
      'n,,n=ju=41liet,r=abc', 'n,,n=,r=abc', 'n,,n=juliet,r=', 'n,,n=juliet,r=abc,bogus', 'n,,n=jul\0iet,r=abc', '']) {
      assert.equal(failureOf(new ScramServer(plain256).clientFirst(b(msg))), 'malformed-request', msg);
    }
    assert.equal(failureOf(new ScramServer(plain256).clientFirst(Buffer.from([0x6e, 0x2c, 0x2c, 0xff]))), 'malformed-request');
    assert.equal(failureOf(new ScramServer(plain256).clientFirst(b('n,,n=a@b,r=abc'))), 'not-authorized');
  });

  it('rejects malformed client-final-messages', () => {
    const final = (msg: string): string | undefined => {
      const server = new ScramServer({ ...plain256, serverNonce: 'SN' });
      server.clientFirst(b('n,,n=juliet,r=CN'));
      server.serverFirst(creds256);
      return failureOf(server.clientFinal(b(msg)));
    };
    const proof = `p=${Buffer.alloc(32).toString('base64')}`;
    assert.equal(final(`c=biws,r=CNSN,${proof}`), 'not-authorized');
    assert.equal(final(`c=biws,${proof}`), 'malformed-request'); // no r=
    assert.equal(final('c=biws,r=CNSN'), 'malformed-request'); // no p=
    assert.equal(final(`c=bi ws,r=CNSN,${proof}`), 'malformed-request'); // bad base64
    assert.equal(final('c=biws,r=CNSN,p=AAAA'), 'malformed-request'); // proof of the wrong length
    assert.equal(final(`c=biws,r=XXSN,${proof}`), 'malformed-request'); // nonce not prefixed by the client's
    assert.equal(final(`c=biws,r=CN,${proof}`), 'malformed-request'); // server nonce dropped
    assert.equal(final(`c=eSws,r=CNSN,${proof}`), 'malformed-request'); // gs2 header changed to y,,
  });

  it('refuses steps out of order', () => {
    const server = new ScramServer(plain256);
    assert.equal(failureOf(server.clientFinal(b('c=biws,r=x,p=AAAA'))), 'malformed-request');
    assert.throws(() => server.serverFirst(creds256));
    const done = new ScramServer(plain256);
    done.clientFirst(b('n,,n=juliet,r=abc'));
    assert.equal(failureOf(done.clientFirst(b('n,,n=juliet,r=abc'))), 'malformed-request');
  });

  it('never throws on arbitrary input', () => {
    const fragments = fc.constantFrom(
      'n', 'y', 'p=tls-exporter', ',', 'a=', 'n=', 'r=', 'c=', 'p=', 'm=', '=', '=2C', 'biws', 'CN', 'SN', '\0', '\u00e9',
    );
    const messages = fc.oneof(
      fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a)),
      fc.array(fragments, { maxLength: 12 }).map((a) => b(a.join(''))),
    );
    fc.assert(
      fc.property(messages, messages, fc.boolean(), fc.boolean(), (m1, m2, plus, known) => {
        const opts = plus ? { ...plus256, serverNonce: 'SN' } : { ...plain256, serverNonce: 'SN' };
        assert.equal(typeof new ScramServer(opts).clientFirst(m1), 'object');
        const server = new ScramServer(opts);
        server.clientFirst(b(plus ? 'p=tls-exporter,,n=juliet,r=CN' : 'n,,n=juliet,r=CN'));
        server.serverFirst(known ? creds256 : null);
        assert.equal(typeof server.clientFinal(m2), 'object');
      }),
      fuzzParams(300),
    );
  });
});

describe('PLAIN', () => {
  it('parses RFC 4616 messages', () => {
    assert.deepEqual(parsePlain(b('\0Juliet\0pencil')), { authcid: 'juliet', password: 'pencil' });
    assert.deepEqual(parsePlain(b('admin@example.com\0juliet\0pen cil')), {
      authzid: 'admin@example.com', authcid: 'juliet', password: 'pen cil',
    });
    for (const msg of ['juliet\0pencil', '\0juliet\0', '\0\0pencil', 'a\0b\0c\0d', '']) {
      assert.equal(failureOf(parsePlain(b(msg))), 'malformed-request', JSON.stringify(msg));
    }
    assert.equal(failureOf(parsePlain(Buffer.from([0, 0x6a, 0, 0xc3]))), 'malformed-request');
    assert.equal(failureOf(parsePlain(b('\0a@b\0pencil'))), 'not-authorized');
  });

  it('verifies a password against SCRAM credentials', async () => {
    for (const hash of ['sha1', 'sha256'] as const) {
      const creds = await deriveScramCredentials('pencil', hash, 64);
      assert.equal(await verifyPlainAgainstScram('pencil', creds, hash), true);
      assert.equal(await verifyPlainAgainstScram('pencil2', creds, hash), false);
      assert.equal(await verifyPlainAgainstScram('', creds, hash), false);
    }
  });
});

describe('preparation and payloads', () => {
  it('prepares usernames and passwords with PRECIS', async () => {
    assert.equal(prepareUsername('Juliet'), 'juliet');
    assert.equal(preparePassword('p\u00a0w'), 'p w');
    assert.equal(preparePassword(''), null);
    await assert.rejects(deriveScramCredentials('bad\u0007', 'sha256', 64), RangeError);
  });

  it('decodes base64 strictly', () => {
    assert.deepEqual(decodeSaslPayload('='), Buffer.alloc(0));
    assert.deepEqual(decodeSaslPayload('biws'), b('n,,'));
    for (const bad of ['bi ws', 'biw', 'biws=', 'QR==', '*abc']) {
      assert.deepEqual(decodeSaslPayload(bad), { failure: 'incorrect-encoding' }, bad);
    }
    assert.equal(decodeBase64Strict('QQ'), null);
    assert.equal(encodeSaslPayload(Buffer.alloc(0)), '=');
    assert.equal(encodeSaslPayload(b('n,,')), 'biws');
  });
});

describe('offeredMechanisms', () => {
  const base = { tls: true, channelBindingTypes: ['tls-exporter'], passwordFormat: 'scram' as const, allowPlainWithoutTls: false };
  it('offers -PLUS only with a supported channel binding, PLAIN only over TLS', () => {
    assert.deepEqual(offeredMechanisms(base), ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
    assert.deepEqual(offeredMechanisms({ ...base, channelBindingTypes: ['tls-server-end-point'] }), ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
    assert.deepEqual(offeredMechanisms({ ...base, tls: false }), ['SCRAM-SHA-256', 'SCRAM-SHA-1']);
    assert.deepEqual(offeredMechanisms({ ...base, tls: false, allowPlainWithoutTls: true }), ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
  });

  it('limits SCRAM to the stored hashes unless passwords are plaintext', () => {
    assert.deepEqual(offeredMechanisms({ ...base, scramHashes: ['sha256'] }), ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256', 'PLAIN']);
    assert.equal(offeredMechanisms({ ...base, passwordFormat: 'plain', scramHashes: ['sha256'] }).length, 5);
  });

  it('maps mechanism names to ScramServer parameters', () => {
    assert.deepEqual(scramParams('SCRAM-SHA-1-PLUS'), { hash: 'sha1', plus: true });
    assert.deepEqual(scramParams('SCRAM-SHA-256'), { hash: 'sha256', plus: false });
    assert.equal(scramParams('PLAIN'), null);
  });
});
