/**
 * Pure checks on a stanza a bound client sends (RFC 6120 §8.1, §10): the stanza name, the
 * `from` it may claim, the `to` it names. The c2s acts on the verdict.
 */
import type { Element } from 'ltx';
import { tryParseJid, type Jid } from '../src/jid.js';
import type { StanzaErrorCondition } from '../src/stanza/error.js';
import type { StreamErrorCondition } from '../src/xml/stream_error.js';

export type Verdict =
  | { ok: true; to: Jid }
  | { ok: false; stream: StreamErrorCondition; text: string }
  | { ok: false; stanza: StanzaErrorCondition; text: string };

const TYPES: Record<string, readonly string[]> = {
  message: ['chat', 'error', 'groupchat', 'headline', 'normal'],
  presence: ['error', 'probe', 'subscribe', 'subscribed', 'unavailable', 'unsubscribe', 'unsubscribed'],
  iq: ['get', 'set', 'result', 'error'],
};

/** Checks the stanza of the session `user` and rewrites its `from` to the full JID (RFC 6120 §8.1.2.1). */
export function checkOutbound(stanza: Element, user: Jid): Verdict {
  const allowed = TYPES[stanza.name];
  if (!allowed) return { ok: false, stream: 'unsupported-stanza-type', text: `<${stanza.name}/> is not a stanza` };
  const claimed = stanza.attrs.from;
  if (claimed !== undefined) {
    const from = tryParseJid(claimed);
    if (!from || !(from.equals(user) || (from.isBare() && from.equals(user.bare())))) {
      return { ok: false, stream: 'invalid-from', text: `from '${claimed}' is not ${user}` };
    }
  }
  stanza.attrs.from = user.toString();
  const type = stanza.attrs.type;
  if (stanza.name === 'iq' && !stanza.attrs.id) return { ok: false, stanza: 'bad-request', text: 'an IQ needs an id (RFC 6120 §8.2.3)' };
  if (type !== undefined && !allowed.includes(type)) return { ok: false, stanza: 'bad-request', text: `type '${type}' is not valid for <${stanza.name}/>` };
  if (stanza.name === 'iq' && type === undefined) return { ok: false, stanza: 'bad-request', text: 'an IQ needs a type' };
  if (stanza.attrs.to === undefined) {
    // No 'to': the stanza is for the user's own account (RFC 6120 §10.3).
    stanza.attrs.to = user.bareString();
    return { ok: true, to: user.bare() };
  }
  const to = tryParseJid(stanza.attrs.to);
  if (!to) return { ok: false, stanza: 'jid-malformed', text: `'${stanza.attrs.to}' is not a valid JID` };
  stanza.attrs.to = to.toString();
  return { ok: true, to };
}
