/**
 * XEP-0045 §7.2.1 room nicknames: the resourcepart of the occupant JID, already prepared
 * (OpaqueString, RFC 7622 §3.4) when the JID was parsed. Missing, blank (only spaces) or
 * longer than {@link MAX_NICK_CHARS} characters is jid-malformed, as a bad occupant JID.
 */
import { stanzaError, type StanzaError } from '../stanza/error.js';

export const MAX_NICK_CHARS = 128;

export function nickDenial(nick: string): StanzaError | null {
  if (nick === '') return stanzaError('jid-malformed', 'a nickname is required (room@service/nick)');
  if (nick.trim() === '') return stanzaError('jid-malformed', 'a nickname cannot be blank');
  if ([...nick].length > MAX_NICK_CHARS) return stanzaError('jid-malformed', `a nickname has at most ${MAX_NICK_CHARS} characters`);
  return null;
}
