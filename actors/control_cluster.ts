/**
 * `troupectl cluster status|rooms` (issue #9): every node Redis knows, its liveness and its
 * sessions; or every MUC room the nodes own, its owner and how many occupants it has.
 */
import type { Node } from './node.js';
import type { ClusterNodeStatus, ClusterRoomStatus } from '../src/control/protocol.js';

export async function clusterCommand(node: Node, [sub]: string[]): Promise<ClusterNodeStatus[] | ClusterRoomStatus[]> {
  if (sub !== 'status' && sub !== 'rooms') throw new Error(`unknown cluster command '${sub}' (usage: troupectl cluster status|rooms)`);
  if (!node.cluster || !node.clusterRooms) throw new Error('this node is not in a cluster (no cluster: in its config)');
  if (sub === 'status') return node.cluster.redis.status();
  return (await node.clusterRooms.list()).map(({ room, owner, occupants }) => ({ room, owner, occupants }));
}
