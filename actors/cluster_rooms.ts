/**
 * The `cluster` actor's part in MUC (issue #9): room messages from other nodes handed to this
 * node's mod_muc, and the rooms of a node that died or left handed over to the live nodes.
 */
import { childLog } from '../src/log.js';
import { parseJid } from '../src/jid.js';
import { stanzaError } from '../src/stanza/error.js';
import { encodeRoomMessage, type RoomMessage } from '../src/cluster/wire.js';
import { rankNodes } from '../src/cluster/room_placement.js';
import { bounce } from './router.js';
import type { Node } from './node.js';

const log = childLog({ actor: 'cluster' });

/**
 * A stanza or a take-over for a MUC room of this node: mod_muc's (`muc_room_forwarded`, per
 * host). With no mod_muc (not started yet, or disabled here) a stanza is answered with an
 * error; a take-over waits in Redis for the room's next stanza.
 */
export async function toRooms(node: Node, message: RoomMessage): Promise<void> {
  const hosts = node.hosts.filter((host) => node.hooks.get('muc_room_forwarded', host).length > 0);
  if (hosts.length === 0 && message.type === 'room_route') {
    return bounce(node, message.from, message.to, message.stanza, stanzaError('recipient-unavailable', "the room's node runs no MUC service now"));
  }
  for (const host of hosts) await node.hooks.run('muc_room_forwarded', host, message);
}

/** To `to`'s rooms: here through the hook, elsewhere on its channel. */
async function sendToRooms(node: Node, to: string, message: RoomMessage): Promise<void> {
  if (to === node.cluster?.redis.node) await toRooms(node, message);
  else await node.cluster?.redis.cast(to, encodeRoomMessage(message));
}

/**
 * After a node died or left (its sessions already out of Redis and, in Redis's order, of
 * every replica): each of its rooms goes to the first live node of its rendezvous order,
 * which takes it over (its occupants from Redis), and every live node's rooms drop the
 * occupants whose sessions were on it. `here`: this node takes part (not while it leaves
 * or joins). A room nobody could be asked for waits in Redis for its next stanza.
 */
export async function handOver(node: Node, from: string, here: boolean): Promise<void> {
  const rooms = node.clusterRooms;
  if (!rooms) return;
  const orphaned = (await rooms.reap(from)) ?? [];
  const live = (await rooms.liveNodes()).filter((n) => here || n !== rooms.node);
  if (orphaned.length) log.warn({ node: from, rooms: orphaned.length }, 'handing over the MUC rooms of a node that died or left');
  for (const room of orphaned) {
    const next = rankNodes(room, live)[0];
    if (next !== undefined) await sendToRooms(node, next, { type: 'room_take_over', room: parseJid(room) });
  }
  for (const n of live) await sendToRooms(node, n, { type: 'room_node_down', node: from });
}
