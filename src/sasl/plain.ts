/** SASL PLAIN (RFC 4616), verified against stored SCRAM credentials (RFC 5802 §3). */
import { timingSafeEqual } from 'node:crypto';
import { decodeUtf8 } from './payload.js';
import { prepareUsername } from './saslprep.js';
import type { SaslFailure } from './scram.js';
import { saltedPassword, storedKeyOf, type ScramCredentials, type ScramHash } from './scram_credentials.js';

/**
 * Parses `[authzid] NUL authcid NUL passwd` (RFC 4616 §2). `authcid` comes back prepared as a
 * username (UsernameCaseMapped, like SCRAM's); the password is left as sent, since
 * {@link verifyPlainAgainstScram} prepares it.
 */
export function parsePlain(msg: Buffer): { authzid?: string; authcid: string; password: string } | SaslFailure {
  const parts = decodeUtf8(msg)?.split('\0');
  if (parts?.length !== 3 || parts[1] === '' || parts[2] === '') {
    return { failure: 'malformed-request', text: 'expected [authzid] NUL authcid NUL passwd' };
  }
  const [authzid, authcidRaw, password] = parts;
  const authcid = prepareUsername(authcidRaw);
  if (authcid === null) return { failure: 'not-authorized', text: 'invalid username' };
  return authzid === '' ? { authcid, password } : { authzid, authcid, password };
}

/**
 * Whether `password` matches stored SCRAM credentials: recomputes StoredKey with PBKDF2 (off the
 * event loop) and compares in constant time. For an unknown user, call it anyway with made-up
 * credentials so that timing does not reveal which accounts exist.
 */
export async function verifyPlainAgainstScram(
  password: string,
  creds: ScramCredentials,
  hash: ScramHash,
): Promise<boolean> {
  const salted = await saltedPassword(password, hash, Buffer.from(creds.salt, 'base64'), creds.iterations);
  if (salted === null) return false;
  const expected = Buffer.from(creds.storedKey, 'base64');
  const actual = storedKeyOf(hash, salted);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
