/** `troupectl cluster status` (issue #9): every node Redis knows, its liveness and its sessions. */
import type { Node } from './node.js';
import type { ClusterNodeStatus } from '../src/control/protocol.js';

export async function clusterCommand(node: Node, [sub]: string[]): Promise<ClusterNodeStatus[]> {
  if (sub !== 'status') throw new Error(`unknown cluster command '${sub}' (usage: troupectl cluster status)`);
  if (!node.cluster) throw new Error('this node is not in a cluster (no cluster: in its config)');
  return node.cluster.redis.status();
}
