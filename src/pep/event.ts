/**
 * The stanzas of XEP-0060 notifications (§7.1.2.1 items, §7.2.2.1 retract, §8.4.2 delete,
 * §8.5.2 purge) and of the results (§6.5.2 items, §7.1.2 publish with the item id), as pure
 * builders. PEP notifications are headline messages from the owner's bare JID (XEP-0163 §4.3).
 */
import { createElement, parse, type Element } from 'ltx';
import type { Jid } from '../jid.js';
import { NS_PUBSUB, NS_PUBSUB_EVENT } from './ns.js';
import type { PepItem } from './node.js';

const itemElement = (item: PepItem): Element => createElement('item', { id: item.id }, parse(item.xml));

/** An `<event/>` with one change of `node`. */
export const itemsEvent = (node: string, items: PepItem[]): Element =>
  createElement('event', { xmlns: NS_PUBSUB_EVENT }, createElement('items', { node }, ...items.map(itemElement)));

export const retractEvent = (node: string, ids: string[]): Element =>
  createElement('event', { xmlns: NS_PUBSUB_EVENT }, createElement('items', { node }, ...ids.map((id) => createElement('retract', { id }))));

export const deleteEvent = (node: string): Element => createElement('event', { xmlns: NS_PUBSUB_EVENT }, createElement('delete', { node }));

export const purgeEvent = (node: string): Element => createElement('event', { xmlns: NS_PUBSUB_EVENT }, createElement('purge', { node }));

/** The headline message carrying `event` from the owner's account to one recipient. */
export function notification(owner: Jid, to: Jid, event: Element, id: string): Element {
  return createElement('message', { type: 'headline', from: owner.bareString(), to: to.toString(), id }, event);
}

/** §6.5.2: `<pubsub><items node>…</items></pubsub>`. */
export const itemsResult = (node: string, items: PepItem[]): Element =>
  createElement('pubsub', { xmlns: NS_PUBSUB }, createElement('items', { node }, ...items.map(itemElement)));

/** §7.1.2 Example 100: the id the item got. */
export const publishResult = (node: string, id: string): Element =>
  createElement('pubsub', { xmlns: NS_PUBSUB }, createElement('publish', { node }, createElement('item', { id })));
