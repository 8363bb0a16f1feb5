/**
 * XEP-0191 (blocking command): the items of `<blocklist/>`, `<block/>` and `<unblock/>`, the
 * JID matching of §5 (that of XEP-0016 §2.1), and the `<blocked/>` error of §3.3. Blocked JIDs
 * are kept as the strings of prepared JIDs (RFC 7622), so matching is a set lookup. Pure.
 */
import { createElement, type Element } from 'ltx';
import { tryParseJid, type Jid } from '../jid.js';
import { errorReply, stanzaError, type StanzaError } from '../stanza/error.js';

export const NS_BLOCKING = 'urn:xmpp:blocking';
export const NS_BLOCKING_ERRORS = 'urn:xmpp:blocking:errors';

/**
 * The JIDs of `<block/>` or `<unblock/>` items, prepared: an item without a `jid` is a
 * bad-request, an invalid JID is jid-malformed (RFC 6120 §8.3.3.8); nothing is applied then.
 */
export function itemJids(el: Element): Jid[] | StanzaError {
  const jids: Jid[] = [];
  for (const item of el.getChildElements()) {
    if (item.name !== 'item') return stanzaError('bad-request', `unexpected <${item.name}/>`);
    const raw = item.attrs.jid;
    if (typeof raw !== 'string') return stanzaError('bad-request', 'an <item/> needs a jid');
    const jid = tryParseJid(raw);
    if (!jid) return stanzaError('jid-malformed', `'${raw}' is not a valid JID`);
    jids.push(jid);
  }
  return jids;
}

/**
 * §5 (XEP-0016 §2.1): an item blocks `other` if it is its full JID, its bare JID, its
 * domain/resource or its domain. Runs on every stanza: no allocation for an empty list.
 */
export function isBlocked(list: ReadonlySet<string>, other: Jid): boolean {
  if (list.size === 0) return false;
  if (list.has(other.domain)) return true;
  if (other.local !== '' && list.has(other.bareString())) return true;
  if (other.resource === '') return false;
  if (list.has(other.toString())) return true;
  return other.local !== '' && list.has(`${other.domain}/${other.resource}`);
}

/** `<blocklist/>`, `<block/>` or `<unblock/>` with one `<item jid=…/>` per JID (none for "unblock all"). */
export function blockingElement(name: 'blocklist' | 'block' | 'unblock', jids: Iterable<string>): Element {
  const el = createElement(name, { xmlns: NS_BLOCKING });
  for (const jid of jids) el.append(createElement('item', { jid }));
  return el;
}

/** §3.3: the answer to a stanza the user sends to a JID it blocks: not-acceptable with `<blocked/>`. */
export function blockedReply(stanza: Element): Element | null {
  const reply = errorReply(stanza, { ...stanzaError('not-acceptable'), type: 'cancel' }); // type as in §3.3's example
  reply?.getChildren('error').at(-1)?.append(createElement('blocked', { xmlns: NS_BLOCKING_ERRORS }));
  return reply;
}
