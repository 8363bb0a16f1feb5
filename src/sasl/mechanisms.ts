/**
 * Which SASL mechanisms to offer in stream features (RFC 6120 §6.4.1), strongest first.
 *
 * Password storage: with `passwordFormat: 'scram'` the server stores ScramCredentials per hash
 * and verifies PLAIN with `verifyPlainAgainstScram`; with `'plain'` it stores plaintext, derives
 * ScramCredentials on the fly with `deriveScramCredentials` (a stable salt per account) before
 * `ScramServer.serverFirst`, and checks PLAIN by comparing prepared passwords.
 */
import type { ScramHash } from './scram_credentials.js';

export const MECHANISMS = ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'] as const;
export type Mechanism = (typeof MECHANISMS)[number];

/** Channel binding types ScramServer can check: RFC 9266 (TLS 1.3) and RFC 5929 §3 (TLS 1.2). */
export const CHANNEL_BINDING_TYPES: readonly string[] = ['tls-exporter', 'tls-unique'];

export interface OfferOptions {
  tls: boolean;
  /** Channel binding types this connection can produce. */
  channelBindingTypes: string[];
  passwordFormat: 'scram' | 'plain';
  /** PLAIN sends the password in the clear: only over TLS unless explicitly allowed. */
  allowPlainWithoutTls: boolean;
  /** With `passwordFormat: 'scram'`, the hashes credentials are stored for (default: both). */
  scramHashes?: ScramHash[];
}

/** The mechanisms to advertise, in preference order. */
export function offeredMechanisms(o: OfferOptions): Mechanism[] {
  const hashes: ScramHash[] = o.passwordFormat === 'scram' && o.scramHashes ? o.scramHashes : ['sha256', 'sha1'];
  const canBind = o.tls && o.channelBindingTypes.some((t) => CHANNEL_BINDING_TYPES.includes(t));
  return MECHANISMS.filter((m) => {
    const scram = scramParams(m);
    if (scram === null) return o.tls || o.allowPlainWithoutTls;
    return hashes.includes(scram.hash) && (canBind || !scram.plus);
  });
}

/** The ScramServer parameters of a SCRAM mechanism name; null for any other mechanism. */
export function scramParams(mechanism: string): { hash: ScramHash; plus: boolean } | null {
  const m = /^SCRAM-SHA-(1|256)(-PLUS)?$/.exec(mechanism);
  return m ? { hash: m[1] === '1' ? 'sha1' : 'sha256', plus: m[2] !== undefined } : null;
}
