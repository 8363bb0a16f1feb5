/**
 * Preparation of SASL usernames and passwords with PRECIS, which replaces SASLprep (RFC 4013):
 * RFC 8265 obsoletes RFC 7613, which obsoleted RFC 4013, and SCRAM's Normalize() (RFC 5802 §2.2,
 * used by RFC 7677) is read as these profiles.
 */
import { nodeprep, opaqueString } from '../jid.js';

/**
 * A SASL simple user name is an XMPP localpart (RFC 6120 §6.3.8), so it is prepared with the
 * UsernameCaseMapped profile (RFC 8265 §3.3) plus RFC 7622 §3.3.1; null if invalid.
 */
export function prepareUsername(username: string): string | null {
  return nodeprep(username);
}

/** Passwords use the OpaqueString profile (RFC 8265 §4.2); null if invalid or empty. */
export function preparePassword(password: string): string | null {
  return opaqueString(password);
}
