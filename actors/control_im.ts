/**
 * troupectl verbs about what users exchange: `send-message` (ejabberdctl `send_message`: a chat
 * message routed by `route()` as if FROM had sent it) and `roster-list` (ejabberdctl
 * `get_roster`, read from mod_roster's store without its lock: a snapshot, never a write).
 */
import { randomUUID } from 'node:crypto';
import { createElement } from 'ltx';
import type { Node } from './node.js';
import { route } from './router.js';
import type { RosterItem } from '../src/roster/item.js';
import type { RosterListItem } from '../src/control/protocol.js';
import { existingAccount, validJid } from './control_args.js';

/** XML 1.0 §2.2 Char: anything else cannot travel in a stream. */
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export async function sendMessage(node: Node, [fromArg, toArg, body]: string[]): Promise<string> {
  const from = validJid(fromArg!, 'from');
  const to = validJid(toArg!, 'to');
  if (!node.hosts.includes(from.domain)) throw new Error(`the sender ${from} is not on a served host (served: ${node.hosts.join(', ')})`);
  if (body === '') throw new Error('empty message body');
  if (NOT_XML_CHAR.test(body!)) throw new Error('the message body holds characters XML does not allow');
  const message = createElement(
    'message',
    { from: from.toString(), to: to.toString(), type: 'chat', id: `troupectl-${randomUUID()}` },
    createElement('body', null, body!),
  );
  await route(node, from, to, message);
  return `message sent from ${from} to ${to}`;
}

const listItem = (item: RosterItem): RosterListItem => ({
  jid: item.jid,
  name: item.name ?? null,
  subscription: item.subscription,
  ...(item.pendingOut ? { ask: 'subscribe' as const } : {}),
  groups: item.groups,
});

/** The items the user sees in a roster get (pending inbound requests from strangers are not items yet). */
export async function rosterList(node: Node, [userArg, hostArg]: string[]): Promise<RosterListItem[]> {
  const { user, host } = await existingAccount(node, userArg!, hostArg!);
  const { items } = await node.stores.roster().read(user, host);
  return items.filter((i) => i.listed).map(listItem);
}
