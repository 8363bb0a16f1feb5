/**
 * XEP-0049 (private XML storage): the fragments of a `<query xmlns='jabber:iq:private'/>`, each
 * keyed by its element name and namespace, and the checks the XEP names (§2.3 "Elements",
 * §3 "Error Conditions"). Pure.
 */
import type { Element } from 'ltx';
import { stanzaError, type StanzaError } from '../stanza/error.js';

export const NS_PRIVATE = 'jabber:iq:private';

/** One stored (or asked for) fragment: its root element's name and namespace are the key. */
export interface Fragment {
  name: string;
  ns: string;
  el: Element;
}

/** §2.3: namespaces reserved in Jabber: 'jabber:*', 'http://jabber.org/*', 'vcard-temp'. */
export function isReservedNamespace(ns: string): boolean {
  return ns.startsWith('jabber:') || ns.startsWith('http://jabber.org/') || ns === 'vcard-temp';
}

/**
 * The fragments of a query, or the error to answer: none at all → bad-request ("Bad Format",
 * §3); a fragment not qualified by its own namespace, or by a reserved one → not-acceptable.
 * A fragment must declare its namespace with `xmlns` on its root (a prefixed root would lose
 * its prefix declaration once stored alone).
 */
export function queryFragments(query: Element): Fragment[] | StanzaError {
  const children = query.getChildElements();
  if (children.length === 0) return stanzaError('bad-request', 'a child element qualified by its own namespace is required');
  const fragments: Fragment[] = [];
  for (const el of children) {
    const ns = el.attrs.xmlns;
    if (typeof ns !== 'string' || ns === '' || el.name.includes(':')) return stanzaError('not-acceptable', `<${el.name}/> needs its own xmlns`);
    if (isReservedNamespace(ns)) return stanzaError('not-acceptable', `'${ns}' is a reserved namespace`);
    fragments.push({ name: el.name, ns, el });
  }
  return fragments;
}
