/**
 * SCRAM server (RFC 5802) for SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 7677), and their -PLUS variants
 * with channel binding (RFC 5802 §6): tls-exporter (RFC 9266) or tls-unique (RFC 5929 §3).
 *
 * Pure apart from the random server nonce; the caller does I/O and the async credential lookup:
 *   clientFirst(msg) → look up credentials of `username` → serverFirst(creds) → clientFinal(msg).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeBase64Strict, decodeUtf8 } from './payload.js';
import { prepareUsername } from './saslprep.js';
import { digest, HASH_LENGTH, hmac, type ScramCredentials, type ScramHash } from './scram_credentials.js';

export type { ScramCredentials, ScramHash } from './scram_credentials.js';

/** A SASL failure condition (RFC 6120 §6.5) with optional text. */
export interface SaslFailure {
  failure:
    | 'not-authorized' | 'malformed-request' | 'invalid-authzid' | 'invalid-mechanism'
    | 'encryption-required' | 'mechanism-too-weak' | 'temporary-auth-failure' | 'aborted'
    | 'incorrect-encoding' | 'account-disabled' | 'credentials-expired';
  text?: string;
}

export interface ScramServerOptions {
  hash: ScramHash;
  /** Whether the mechanism is the -PLUS variant. */
  plus: boolean;
  /** The channel binding this connection can provide, if any. */
  channelBinding?: { type: string; data: Buffer };
  /** Whether -PLUS mechanisms were advertised: a client sending the 'y' flag then was downgraded. */
  serverSupportsPlus: boolean;
  /** The server part of the nonce; random by default. Set only to replay test vectors. */
  serverNonce?: string;
}

interface ClientFirst {
  gs2Header: string;
  /** Channel binding data the client must echo after the gs2 header: empty unless 'p='. */
  cbData: Buffer;
  bare: string;
  clientNonce: string;
  username: string;
  authzid?: string;
}

type Phase =
  | { step: 'client-first' }
  | { step: 'server-first'; first: ClientFirst }
  | {
      step: 'client-final';
      first: ClientFirst;
      serverFirst: string;
      nonce: string;
      storedKey: Buffer;
      serverKey: Buffer;
      /** false for an unknown user: the proof check then fails whatever the client sends. */
      known: boolean;
    }
  | { step: 'done' };

// RFC 5802 §7 grammar pieces.
const GS2_HEADER = /^(?:n|y|p=([A-Za-z0-9.-]+)),(?:a=([^,]*))?,/;
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;
const EXTENSION = /^[A-Za-z]=[^,]+$/;

/** Unknown users get a salt that is stable per username, so probing cannot tell them apart. */
const FAKE_SALT_KEY = randomBytes(32);
const FAKE_ITERATIONS = 4096;

export class ScramServer {
  private phase: Phase = { step: 'client-first' };

  constructor(private readonly opts: ScramServerOptions) {}

  /** Parses client-first-message (RFC 5802 §5.1, §7); the caller then looks up `username`. */
  clientFirst(msg: Buffer): { username: string; authzid?: string } | SaslFailure {
    if (this.phase.step !== 'client-first') return this.fail('malformed-request', 'unexpected client-first-message');
    const text = decodeUtf8(msg);
    const header = text === null || text.includes('\0') ? null : GS2_HEADER.exec(text);
    if (text === null || header === null) return this.fail('malformed-request', 'invalid gs2-header');
    const cbFailure = this.cbFlagFailure(text[0], header[1]);
    if (cbFailure) return this.fail(cbFailure.failure, cbFailure.text);
    const authzid = header[2] === undefined ? undefined : decodeSaslName(header[2]);
    if (authzid === null) return this.fail('malformed-request', 'invalid authzid');
    const bare = text.slice(header[0].length);
    const [n = '', r = '', ...extensions] = bare.split(',');
    // §5.1: 'm' is reserved for mandatory extensions, none of which we support.
    if (n.startsWith('m=')) return this.fail('malformed-request', 'extensions-not-supported');
    const name = n.startsWith('n=') ? decodeSaslName(n.slice(2)) : null;
    const clientNonce = r.slice(2);
    if (name === null || !r.startsWith('r=') || !NONCE.test(clientNonce) || !extensions.every((e) => EXTENSION.test(e))) {
      return this.fail('malformed-request', 'invalid client-first-message');
    }
    const username = prepareUsername(name);
    if (username === null) return this.fail('not-authorized', 'invalid username');
    // With 'p=', cbFlagFailure checked that channelBinding is set and of that type.
    const cbData = header[1] === undefined ? Buffer.alloc(0) : this.opts.channelBinding!.data;
    this.phase = { step: 'server-first', first: { gs2Header: header[0], cbData, bare, clientNonce, username, authzid } };
    return authzid === undefined ? { username } : { username, authzid };
  }

  /**
   * Builds server-first-message (RFC 5802 §5.1). With `creds` null (unknown user) it still looks
   * plausible and the final step fails. Throws if not called right after a successful clientFirst.
   */
  serverFirst(creds: ScramCredentials | null): Buffer {
    if (this.phase.step !== 'server-first') throw new Error('ScramServer.serverFirst called out of order');
    const { first } = this.phase;
    const nonce = first.clientNonce + (this.opts.serverNonce ?? randomBytes(18).toString('base64'));
    const size = HASH_LENGTH[this.opts.hash];
    const salt = creds?.salt ?? hmac('sha256', FAKE_SALT_KEY, first.username).subarray(0, 16).toString('base64');
    const serverFirst = `r=${nonce},s=${salt},i=${creds?.iterations ?? FAKE_ITERATIONS}`;
    this.phase = {
      step: 'client-final', first, serverFirst, nonce, known: creds !== null,
      storedKey: creds ? Buffer.from(creds.storedKey, 'base64') : randomBytes(size),
      serverKey: creds ? Buffer.from(creds.serverKey, 'base64') : randomBytes(size),
    };
    return Buffer.from(serverFirst);
  }

  /** Verifies client-final-message (RFC 5802 §5.1, §7) and builds server-final-message. */
  clientFinal(msg: Buffer): { serverFinal: Buffer; username: string; authzid?: string } | SaslFailure {
    const phase = this.phase;
    if (phase.step !== 'client-final') return this.fail('malformed-request', 'unexpected client-final-message');
    this.phase = { step: 'done' };
    const text = decodeUtf8(msg);
    const proofAt = text === null || text.includes('\0') ? -1 : text.lastIndexOf(',p=');
    if (text === null || proofAt < 0) return { failure: 'malformed-request', text: 'invalid client-final-message' };
    const withoutProof = text.slice(0, proofAt);
    const [c = '', r = '', ...extensions] = withoutProof.split(',');
    const cbind = c.startsWith('c=') ? decodeBase64Strict(c.slice(2)) : null;
    const proof = decodeBase64Strict(text.slice(proofAt + 3));
    if (cbind === null || proof === null || proof.length !== HASH_LENGTH[this.opts.hash] ||
        !r.startsWith('r=') || !extensions.every((e) => EXTENSION.test(e))) {
      return { failure: 'malformed-request', text: 'invalid client-final-message' };
    }
    if (r.slice(2) !== phase.nonce) return { failure: 'malformed-request', text: 'nonce mismatch' };
    const cbFailure = cbindFailure(cbind, phase.first);
    if (cbFailure) return cbFailure;

    // §3: ClientKey := ClientProof XOR HMAC(StoredKey, AuthMessage); check H(ClientKey) = StoredKey.
    const { hash } = this.opts;
    const authMessage = `${phase.first.bare},${phase.serverFirst},${withoutProof}`;
    const clientKey = xor(proof, hmac(hash, phase.storedKey, authMessage));
    const computed = digest(hash, clientKey);
    const proofOk = computed.length === phase.storedKey.length && timingSafeEqual(computed, phase.storedKey);
    if (!proofOk || !phase.known) return { failure: 'not-authorized' };
    const serverSignature = hmac(hash, phase.serverKey, authMessage);
    const { username, authzid } = phase.first;
    const serverFinal = Buffer.from(`v=${serverSignature.toString('base64')}`);
    return authzid === undefined ? { serverFinal, username } : { serverFinal, username, authzid };
  }

  /** RFC 5802 §6 rules for the gs2-cbind-flag ('n', 'y' or 'p=<type>'). */
  private cbFlagFailure(flag: string, cbType: string | undefined): SaslFailure | null {
    if (this.opts.plus) {
      if (cbType === undefined) return { failure: 'malformed-request', text: '-PLUS requires channel binding' };
      return cbType === this.opts.channelBinding?.type
        ? null
        : { failure: 'malformed-request', text: 'unsupported-channel-binding-type' };
    }
    if (cbType !== undefined) return { failure: 'malformed-request', text: 'channel binding needs a -PLUS mechanism' };
    // 'y': the client supports channel binding but saw no -PLUS offer; if we made one, an
    // attacker removed it.
    if (flag === 'y' && this.opts.serverSupportsPlus) {
      return { failure: 'not-authorized', text: 'server-does-support-channel-binding' };
    }
    return null;
  }

  private fail(failure: SaslFailure['failure'], text?: string): SaslFailure {
    this.phase = { step: 'done' };
    return { failure, text };
  }
}

/** c= must carry the gs2 header of client-first-message and, with 'p=', the channel binding data. */
function cbindFailure(cbind: Buffer, first: ClientFirst): SaslFailure | null {
  const header = Buffer.from(first.gs2Header);
  if (!cbind.subarray(0, header.length).equals(header)) return { failure: 'malformed-request', text: 'gs2 header mismatch' };
  const data = cbind.subarray(header.length);
  const same = data.length === first.cbData.length && timingSafeEqual(data, first.cbData);
  return same ? null : { failure: 'not-authorized', text: 'channel bindings mismatch' };
}

/** saslname (RFC 5802 §7): ',' and '=' travel as "=2C" and "=3D"; any other '=' is invalid. */
function decodeSaslName(s: string): string | null {
  if (s === '' || /=(?!2C|3D)/.test(s)) return null;
  return s.replace(/=2C|=3D/g, (e) => (e === '=2C' ? ',' : '='));
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}
