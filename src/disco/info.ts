/**
 * XEP-0030 service discovery, the pure part: the `disco#info` answer (§3.1: identities and
 * features, with XEP-0128 extended-information forms) and the `disco#items` answer (§4.1),
 * and the parser of a `disco#info` answer (what XEP-0115 caps verification needs).
 */
import { createElement, type Element } from 'ltx';
import { NS_DISCO_INFO, NS_DISCO_ITEMS } from '../xml/ns.js';

/** §3.1: what an entity is (the Service Discovery Identities registry). */
export interface Identity {
  category: string;
  type: string;
  name?: string;
  /** xml:lang of `name`. */
  lang?: string;
}

/** §4.1: an item (a JID, optionally a node at it). */
export interface DiscoItem {
  jid: string;
  node?: string;
  name?: string;
}

export interface DiscoInfo {
  identities: Identity[];
  features: string[];
  /** XEP-0128: `<x xmlns='jabber:x:data' type='result'/>` forms. */
  forms: Element[];
}

/** XEP-0004 */
export const NS_XDATA = 'jabber:x:data';

const withNode = (xmlns: string, node: string): Record<string, string> => (node ? { xmlns, node } : { xmlns });

function identityElement(i: Identity): Element {
  const attrs: Record<string, string> = { category: i.category, type: i.type };
  if (i.name !== undefined) attrs.name = i.name;
  if (i.lang !== undefined) attrs['xml:lang'] = i.lang;
  return createElement('identity', attrs);
}

/** §3.1 Example 2: `<query node?>` with the identities, then one `<feature var/>` per feature (sorted, no duplicates). */
export function infoQuery(node: string, info: DiscoInfo): Element {
  const query = createElement('query', withNode(NS_DISCO_INFO, node));
  for (const identity of info.identities) query.cnode(identityElement(identity));
  for (const feature of [...new Set(info.features)].sort()) query.cnode(createElement('feature', { var: feature }));
  for (const form of info.forms) query.cnode(form);
  return query;
}

/** §4.1 Example 10: `<query node?>` with one `<item jid node? name?/>` per item. */
export function itemsQuery(node: string, items: DiscoItem[]): Element {
  const query = createElement('query', withNode(NS_DISCO_ITEMS, node));
  for (const { jid, node: itemNode, name } of items) {
    const attrs: Record<string, string> = { jid };
    if (itemNode !== undefined) attrs.node = itemNode;
    if (name !== undefined) attrs.name = name;
    query.cnode(createElement('item', attrs));
  }
  return query;
}

/** The identities, features and forms of a `disco#info` `<query/>` (attributes missing from an identity are empty). */
export function parseInfo(query: Element): DiscoInfo {
  const identities = query.getChildren('identity').map((el) => {
    const identity: Identity = { category: el.attrs.category ?? '', type: el.attrs.type ?? '' };
    if (el.attrs.name !== undefined) identity.name = el.attrs.name;
    if (el.attrs['xml:lang'] !== undefined) identity.lang = el.attrs['xml:lang'];
    return identity;
  });
  const features = query.getChildren('feature').map((el) => el.attrs.var ?? '');
  const forms = query.getChildren('x', NS_XDATA);
  return { identities, features, forms };
}
