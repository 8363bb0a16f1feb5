/**
 * A PEP node as stored (its configuration and items, oldest first) and the pure changes the
 * XEP-0060 use cases make to it: publish (§7.1, with publish-options §7.1.5 and auto-create
 * §7.1.4), retract (§7.2), create (§8.1), configure (§8.2), purge (§8.5). Each returns the
 * next node (null: deleted) or the error the XEP names; storage applies it atomically.
 */
import { stanzaError, type StanzaError } from '../stanza/error.js';
import { meetsPreconditions, type NodeConfig } from './config.js';
import { pubsubError } from './errors.js';

export interface PepItem {
  id: string;
  /** The payload, serialised. */
  xml: string;
}

export interface PepNode {
  config: NodeConfig;
  /** Oldest first; at most `config.max_items`, none when items are not persisted. */
  items: PepItem[];
}

/** The item list after `item` (a republished id moves to the newest place), within the node's limits. */
function withItem(config: NodeConfig, items: PepItem[], item: PepItem): PepItem[] {
  if (!config.persist_items) return [];
  return [...items.filter((i) => i.id !== item.id), item].slice(-config.max_items);
}

/**
 * §7.1: the node after publishing `item`. A missing node is created with the defaults and the
 * publish-options (§7.1.4); an existing one must already have what the options ask (§7.1.5:
 * conflict + precondition-not-met).
 */
export function publishItem(node: PepNode | undefined, item: PepItem, wanted: Partial<NodeConfig>, defaults: NodeConfig): PepNode | StanzaError {
  if (node && !meetsPreconditions(node.config, wanted)) return pubsubError('conflict', 'precondition-not-met');
  const config = node?.config ?? { ...defaults, ...wanted };
  return { config, items: withItem(config, node?.items ?? [], item) };
}

/** §7.2: the node without the items named; item-not-found when one of them is not there. */
export function retractItems(node: PepNode | undefined, ids: string[]): PepNode | StanzaError {
  if (!node) return stanzaError('item-not-found', 'no such node');
  if (!ids.every((id) => node.items.some((i) => i.id === id))) return stanzaError('item-not-found', 'no such item');
  return { ...node, items: node.items.filter((i) => !ids.includes(i.id)) };
}

/** §8.1: a new node (conflict if it exists). */
export function createNode(node: PepNode | undefined, wanted: Partial<NodeConfig>, defaults: NodeConfig): PepNode | StanzaError {
  if (node) return stanzaError('conflict', 'the node exists');
  return { config: { ...defaults, ...wanted }, items: [] };
}

/** §8.2.4: the node with the new configuration; items past a lowered `max_items` (or all, when no longer persisted) go. */
export function configureNode(node: PepNode | undefined, wanted: Partial<NodeConfig>): PepNode | StanzaError {
  if (!node) return stanzaError('item-not-found', 'no such node');
  const config = { ...node.config, ...wanted };
  return { config, items: config.persist_items ? node.items.slice(-config.max_items) : [] };
}

/** §8.5: the node without items. */
export function purgeNode(node: PepNode | undefined): PepNode | StanzaError {
  return node ? { ...node, items: [] } : stanzaError('item-not-found', 'no such node');
}

/** §6.5.7 / §6.5.8: the items asked for: those named, else the newest `max` (all without `max`), oldest first. */
export function selectItems(node: PepNode, ids: string[], max: number | undefined): PepItem[] {
  if (ids.length) return node.items.filter((i) => ids.includes(i.id));
  return max === undefined ? node.items : node.items.slice(-max);
}
