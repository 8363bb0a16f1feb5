/**
 * SASL payloads: base 64 in XMPP SASL elements (RFC 6120 §6.4.2, RFC 4648 §4), with '=' for a
 * present but empty payload, and strict UTF-8 for the mechanism messages.
 */
import type { SaslFailure } from './scram.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict RFC 4648 §4 decoding: padding required, no whitespace, no non-zero trailing bits. */
export function decodeBase64Strict(text: string): Buffer | null {
  if (!BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

/**
 * Decodes the text of `<auth/>`, `<response/>` or `<success/>`: '=' means an empty payload.
 * An empty element carries no data at all; the caller tells "no initial response" in `<auth/>`
 * apart before calling (RFC 6120 §6.4.2).
 */
export function decodeSaslPayload(text: string): Buffer | SaslFailure {
  if (text === '=' || text === '') return Buffer.alloc(0);
  return decodeBase64Strict(text) ?? { failure: 'incorrect-encoding' };
}

/** Encodes a challenge or additional data, '=' for an empty payload (as in RFC 6120 §6.4.2). */
export function encodeSaslPayload(data: Buffer): string {
  return data.length === 0 ? '=' : data.toString('base64');
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict UTF-8 decoding (RFC 3629); null for ill-formed input. */
export function decodeUtf8(data: Buffer): string | null {
  try {
    return UTF8.decode(data);
  } catch {
    return null; // TextDecoder signals ill-formed input only by throwing
  }
}
