/**
 * A `<pubsub/>` or `<pubsub xmlns='…#owner'/>` IQ payload parsed into the PEP use case it asks
 * for (XEP-0060 §6–8), with the §7 errors for ill-formed requests (nodeid-required,
 * item-required, invalid-payload, …). Use cases PEP does not need (explicit subscriptions,
 * affiliations) are feature-not-implemented with the feature named.
 */
import type { Element } from 'ltx';
import { stanzaError, type StanzaError } from '../stanza/error.js';
import { NS_XDATA } from '../disco/info.js';
import { pubsubError, unsupported } from './errors.js';
import { NS_PUBSUB, NS_PUBSUB_OWNER } from './ns.js';

export type PepRequest =
  | { op: 'publish'; node: string; id: string | undefined; payload: Element; options: Element | undefined }
  | { op: 'items'; node: string; maxItems: number | undefined; ids: string[] }
  | { op: 'retract'; node: string; ids: string[] }
  | { op: 'create'; node: string; config: Element | undefined }
  | { op: 'configure-get'; node: string }
  | { op: 'configure-set'; node: string; config: Element }
  | { op: 'delete'; node: string }
  | { op: 'purge'; node: string };

const nodeOf = (el: Element): string | StanzaError => el.attrs.node || pubsubError('bad-request', 'nodeid-required');

const UNSUPPORTED: Record<string, string> = {
  subscribe: 'subscribe', unsubscribe: 'subscribe', subscriptions: 'retrieve-subscriptions', affiliations: 'retrieve-affiliations',
  options: 'subscription-options', default: 'retrieve-default',
};

/** §7.1.1: exactly one item with exactly one payload element. */
function parsePublish(publish: Element, pubsub: Element): PepRequest | StanzaError {
  const node = nodeOf(publish);
  if (typeof node !== 'string') return node;
  const items = publish.getChildren('item');
  if (items.length === 0) return pubsubError('bad-request', 'item-required');
  if (items.length > 1) return pubsubError('bad-request', 'invalid-payload');
  const item = items[0] as Element;
  const payloads = item.getChildElements();
  if (payloads.length === 0) return pubsubError('bad-request', 'payload-required');
  if (payloads.length > 1) return pubsubError('bad-request', 'invalid-payload');
  const options = pubsub.getChild('publish-options')?.getChild('x', NS_XDATA);
  return { op: 'publish', node, id: item.attrs.id || undefined, payload: payloads[0] as Element, options };
}

/** §6.5: all items, the newest `max_items`, or the ones named. */
function parseItems(items: Element): PepRequest | StanzaError {
  const node = nodeOf(items);
  if (typeof node !== 'string') return node;
  const max = items.attrs.max_items;
  if (max !== undefined && !/^[1-9]\d*$/.test(max)) return stanzaError('bad-request', 'max_items must be a positive integer');
  const ids = items.getChildren('item').map((i) => i.attrs.id ?? '');
  if (ids.includes('')) return pubsubError('bad-request', 'item-required');
  return { op: 'items', node, maxItems: max === undefined ? undefined : Number(max), ids };
}

function parseRetract(retract: Element): PepRequest | StanzaError {
  const node = nodeOf(retract);
  if (typeof node !== 'string') return node;
  const ids = retract.getChildren('item').map((i) => i.attrs.id ?? '');
  if (ids.length === 0 || ids.includes('')) return pubsubError('bad-request', 'item-required');
  return { op: 'retract', node, ids }; // retractions are always notified (pubsub#notify_retract)
}

function parsePubsub(type: 'get' | 'set', pubsub: Element): PepRequest | StanzaError {
  const [first] = pubsub.getChildElements().filter((c) => c.name !== 'publish-options' && c.name !== 'configure');
  if (!first) return stanzaError('bad-request', 'empty <pubsub/>');
  const feature = UNSUPPORTED[first.name];
  if (feature) return unsupported(feature);
  if (type === 'get') {
    return first.name === 'items' ? parseItems(first) : stanzaError('bad-request', `<${first.name}/> is not a get`);
  }
  switch (first.name) {
    case 'publish': return parsePublish(first, pubsub);
    case 'retract': return parseRetract(first);
    case 'create':
      if (!first.attrs.node) return unsupported('instant-nodes');
      return { op: 'create', node: first.attrs.node, config: pubsub.getChild('configure')?.getChild('x', NS_XDATA) };
    default: return stanzaError('bad-request', `<${first.name}/> is not a set`);
  }
}

function parseOwner(type: 'get' | 'set', owner: Element): PepRequest | StanzaError {
  const [first] = owner.getChildElements();
  if (!first) return stanzaError('bad-request', 'empty <pubsub/>');
  const node = nodeOf(first);
  if (typeof node !== 'string') return node;
  switch (`${type} ${first.name}`) {
    case 'get configure': return { op: 'configure-get', node };
    case 'set configure': {
      const config = first.getChild('x', NS_XDATA);
      return config ? { op: 'configure-set', node, config } : stanzaError('bad-request', 'configure without a form');
    }
    case 'set delete': return { op: 'delete', node };
    case 'set purge': return { op: 'purge', node };
    default: return UNSUPPORTED[first.name] ? unsupported(UNSUPPORTED[first.name] as string) : stanzaError('bad-request', `<${first.name}/>`);
  }
}

/** The use case of an IQ's payload (`<pubsub/>` of either namespace). */
export function parsePepRequest(type: 'get' | 'set', payload: Element): PepRequest | StanzaError {
  if (payload.name !== 'pubsub') return stanzaError('bad-request', 'expected <pubsub/>');
  return payload.getNS() === NS_PUBSUB_OWNER ? parseOwner(type, payload) : payload.getNS() === NS_PUBSUB ? parsePubsub(type, payload) : stanzaError('bad-request');
}
