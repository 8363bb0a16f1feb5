/**
 * What goes into a user archive and how it comes back out (XEP-0313 §3, §4.2, §5.1.1;
 * XEP-0359): which messages are archived, the `<stanza-id/>` stamp, the result messages of a
 * query and its `<fin/>`. Pure: stanzas given are never modified.
 */
import { clone, createElement, type Element } from 'ltx';
import { NS_CLIENT } from '../xml/ns.js';
import { stampOf, idTime } from './id.js';
import { NS_DELAY, NS_FORWARD, NS_MAM, NS_SID } from './ns.js';
import { rsmSet, type Page } from './rsm.js';

/** XEP-0313 §5.1.1: messages of type normal or chat with a body. */
export function isArchivable(stanza: Element): boolean {
  const type = stanza.attrs.type ?? 'normal';
  return stanza.name === 'message' && (type === 'chat' || type === 'normal') && stanza.getChild('body') !== undefined;
}

const isStanzaIdBy = (by: string) => (child: Element | string): boolean =>
  typeof child !== 'string' && child.name === 'stanza-id' && child.getNS() === NS_SID && child.attrs.by === by;

/** The id of the `<stanza-id/>` by `by`, if the stanza carries one. */
export function stanzaIdOf(stanza: Element, by: string): string | undefined {
  const el = stanza.children.find(isStanzaIdBy(by));
  return typeof el === 'string' ? undefined : el?.attrs.id;
}

/** XEP-0359 §4 rules 3–4: a `<stanza-id/>` claiming to be by `by` that `by` did not add goes. Same element when there is none. */
export function withoutStanzaId(stanza: Element, by: string): Element {
  if (!stanza.children.some(isStanzaIdBy(by))) return stanza;
  const copy = clone(stanza);
  copy.children = copy.children.filter((c) => !isStanzaIdBy(by)(c));
  return copy;
}

/** XEP-0313 §3.5: the copy delivered to the archive's owner says where it is archived. */
export function withStanzaId(stanza: Element, by: string, id: string): Element {
  const copy = clone(withoutStanzaId(stanza, by));
  copy.append(createElement('stanza-id', { xmlns: NS_SID, by, id }));
  return copy;
}

export interface ResultAddress {
  /** The archive (the user's bare JID). */
  from: string;
  /** The querying full JID. */
  to: string;
  queryid?: string;
}

/** §4.2: one archived message, forwarded (XEP-0297) with the time it was archived (XEP-0203). */
export function resultMessage(a: ResultAddress, id: string, message: Element): Element {
  const forwarded = clone(message);
  forwarded.attrs.xmlns = NS_CLIENT;
  const result = createElement('result', a.queryid === undefined ? { xmlns: NS_MAM, id } : { xmlns: NS_MAM, queryid: a.queryid, id });
  result.append(createElement('forwarded', { xmlns: NS_FORWARD }, createElement('delay', { xmlns: NS_DELAY, stamp: stampOf(idTime(id)) }), forwarded));
  return createElement('message', { from: a.from, to: a.to, id: `mam-${id}` }, result);
}

/** §4.3: the IQ result's `<fin/>`, complete='true' on the last page in the direction of paging. */
export function finElement(p: Page): Element {
  return createElement('fin', p.complete ? { xmlns: NS_MAM, complete: 'true' } : { xmlns: NS_MAM }, rsmSet(p));
}

/** "Archive metadata" (extended): the first and last message of the archive. */
export function metadataElement(first?: string, last?: string): Element {
  const metadata = createElement('metadata', { xmlns: NS_MAM });
  if (first && last) {
    metadata.append(createElement('start', { id: first, timestamp: stampOf(idTime(first)) }));
    metadata.append(createElement('end', { id: last, timestamp: stampOf(idTime(last)) }));
  }
  return metadata;
}
