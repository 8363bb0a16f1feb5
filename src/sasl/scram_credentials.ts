/**
 * SCRAM stored credentials and key derivation, RFC 5802 §3 (SHA-1) and RFC 7677 (SHA-256):
 *   SaltedPassword := Hi(Normalize(password), salt, i)   -- Hi is PBKDF2 with HMAC
 *   ClientKey := HMAC(SaltedPassword, "Client Key");  StoredKey := H(ClientKey)
 *   ServerKey := HMAC(SaltedPassword, "Server Key")
 */
import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { preparePassword } from './saslprep.js';

const pbkdf2Async = promisify(pbkdf2);

export type ScramHash = 'sha1' | 'sha256';

/** What the server stores per account and hash (RFC 5802 §3): never the password itself. */
export interface ScramCredentials {
  /** base64 */
  salt: string;
  iterations: number;
  /** base64 of H(ClientKey) */
  storedKey: string;
  /** base64 of HMAC(SaltedPassword, "Server Key") */
  serverKey: string;
}

/** Output length of H in octets. */
export const HASH_LENGTH: Record<ScramHash, number> = { sha1: 20, sha256: 32 };

export function hmac(hash: ScramHash, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(hash, key).update(data).digest();
}

export function digest(hash: ScramHash, data: Buffer): Buffer {
  return createHash(hash).update(data).digest();
}

/**
 * Hi(Normalize(password), salt, i), on the libuv thread pool so the event loop never blocks.
 * Resolves to null when the password is not a valid OpaqueString (RFC 8265 §4.2).
 */
export async function saltedPassword(
  password: string,
  hash: ScramHash,
  salt: Buffer,
  iterations: number,
): Promise<Buffer | null> {
  const normalized = preparePassword(password);
  if (normalized === null) return null;
  return pbkdf2Async(normalized, salt, iterations, HASH_LENGTH[hash], hash);
}

/** StoredKey from a SaltedPassword (RFC 5802 §3). */
export function storedKeyOf(hash: ScramHash, salted: Buffer): Buffer {
  return digest(hash, hmac(hash, salted, 'Client Key'));
}

/**
 * Derives the credentials to store for `password`: at registration or password change, or on
 * the fly from a plaintext password store (`passwordFormat: 'plain'`) just before
 * `ScramServer.serverFirst`; pass a stable salt per account there, or clients cannot cache
 * their SaltedPassword. Rejects if the password is not a valid OpaqueString (RFC 8265 §4.2):
 * validate with `preparePassword` first.
 */
export async function deriveScramCredentials(
  password: string,
  hash: ScramHash,
  iterations = 4096,
  salt: Buffer = randomBytes(16),
): Promise<ScramCredentials> {
  const salted = await saltedPassword(password, hash, salt, iterations);
  if (salted === null) throw new RangeError('password is not a valid PRECIS OpaqueString');
  return {
    salt: salt.toString('base64'),
    iterations,
    storedKey: storedKeyOf(hash, salted).toString('base64'),
    serverKey: hmac(hash, salted, 'Server Key').toString('base64'),
  };
}
