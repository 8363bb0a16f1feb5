/**
 * Where a MUC room lives in a cluster (issue #9): rendezvous (highest random weight) hashing of
 * the room JID over the live nodes. Every node computes the same order from the same members,
 * and when a node goes only the rooms it held move (to the next node of their own order).
 */
import { createHash } from 'node:crypto';

const weight = (node: string, room: string): string => createHash('sha256').update(`${node}\0${room}`).digest('hex');

/** The nodes in the order they should hold `room`: the first owns it, the next takes over. */
export function rankNodes(room: string, nodes: readonly string[]): string[] {
  const weights = new Map(nodes.map((n) => [n, weight(n, room)]));
  return [...weights.keys()].sort((a, b) => {
    const wa = weights.get(a) as string;
    const wb = weights.get(b) as string;
    return wa === wb ? a.localeCompare(b) : wa < wb ? 1 : -1;
  });
}
