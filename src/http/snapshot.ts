/**
 * What the observer shows of the tree each second, computed from `tree`'s walk (TreeNode) and
 * each process's `handled` count: message rates, a memory estimate, the last exit reason.
 * Pure: the HTTP actor feeds it the walk and keeps the previous counts.
 */
import type { TreeNode } from '../control/protocol.js';
import type { ActorSample } from './metrics.js';

/**
 * The memory estimate of one process: the kernel's measured cost of an idle process (README,
 * `bench:kernel`: ~720 bytes) plus its queued messages (an envelope and a reference each,
 * ~160 bytes; the payloads are shared, not copied). A supervisor adds up its subtree. It omits
 * what a process reaches outside the kernel (a c2s's socket buffers, a module's tables): the
 * node's real RSS and heap are in the snapshot's `node` part.
 */
export const PROCESS_BYTES = 720;
export const ENVELOPE_BYTES = 160;

/** A dynamic supervisor (c2s_sup) shows this many children, then "N more". */
export const MAX_CHILDREN_SHOWN = 50;

export interface ObservedActor {
  /** Stable across restarts (`troupe_sup/router`), so the page can find the row again. */
  path: string;
  id: string;
  name: string | null;
  label: string | null;
  pid: string | null;
  status: TreeNode['status'];
  type: TreeNode['type'];
  restarts: number;
  mailbox: number;
  /** Messages handled per second since the previous snapshot. */
  rate: number;
  /** Bytes, estimated (see PROCESS_BYTES). */
  memory: number;
  lastExit: string | null;
  children?: ObservedActor[];
  /** Children left out of `children` (MAX_CHILDREN_SHOWN). */
  more?: number;
}

export interface SessionInfo {
  jid: string;
  pid: string;
  since: number;
}

export interface ObserverSnapshot {
  at: number;
  node: { pid: number; uptime_s: number; rss: number; heapUsed: number; processes: number };
  tree: ObservedActor;
  sessions: SessionInfo[];
}

export interface ObserveInput {
  root: TreeNode;
  /** Messages handled so far by the process with this pid (from the walk). */
  handled: ReadonlyMap<string, number>;
  /** The same counts at the previous snapshot, and how long ago that was. */
  previous: ReadonlyMap<string, number>;
  elapsedS: number;
  /** `supervisor/child` → the reason of its last exit (from the supervisor event feed). */
  lastExit: ReadonlyMap<string, string>;
}

/** The observed tree; `processes` counts every process in it. */
export function observeTree(input: ObserveInput): { tree: ObservedActor; processes: number } {
  let processes = 0;
  const visit = (node: TreeNode, parentPath: string | null, key: string): ObservedActor => {
    if (node.pid) processes++;
    const path = parentPath === null ? key : `${parentPath}/${key}`;
    const supervisor = parentPath?.split('/').pop() ?? null;
    const now = node.pid ? input.handled.get(node.pid) : undefined;
    const before = node.pid ? input.previous.get(node.pid) : undefined;
    const rate = now !== undefined && before !== undefined && input.elapsedS > 0 ? Math.max(0, now - before) / input.elapsedS : 0;
    const actor: ObservedActor = {
      path, id: node.id, name: node.name, label: node.label, pid: node.pid, status: node.status, type: node.type,
      restarts: node.restarts, mailbox: node.mailbox, rate: Math.round(rate * 10) / 10,
      memory: node.pid ? PROCESS_BYTES + node.mailbox * ENVELOPE_BYTES : 0,
      lastExit: supervisor === null ? null : input.lastExit.get(`${supervisor}/${node.id}`) ?? null,
    };
    if (!node.children) return actor;
    const keys = childKeys(node.children);
    const children = node.children.map((c, i) => visit(c, path, keys[i]!));
    actor.memory += children.reduce((sum, c) => sum + c.memory, 0);
    actor.children = children.slice(0, MAX_CHILDREN_SHOWN);
    if (children.length > MAX_CHILDREN_SHOWN) actor.more = children.length - MAX_CHILDREN_SHOWN;
    return actor;
  };
  return { tree: visit(input.root, null, input.root.id), processes };
}

/** A child's key is its id, or `id@pid` among siblings sharing one id (simple_one_for_one). */
function childKeys(children: readonly TreeNode[]): string[] {
  const count = new Map<string, number>();
  for (const c of children) count.set(c.id, (count.get(c.id) ?? 0) + 1);
  return children.map((c) => (count.get(c.id)! > 1 && c.pid ? `${c.id}@${c.pid}` : c.id));
}

/**
 * The actor label: its registered name, or its child id (c2s). One process per instance
 * registered as `<id>:<instance>` (a room, `muc_room:lobby@conference.localhost`) counts under
 * its id, so the label set stays bounded however many rooms there are.
 */
const metricName = (node: TreeNode): string => (node.name?.startsWith(`${node.id}:`) ? node.id : node.name ?? node.id);

/** Per-actor samples for the Prometheus gauges: the registered name, else the child id (c2s). */
export function actorSamples(root: TreeNode): ActorSample[] {
  const samples: ActorSample[] = [];
  const visit = (node: TreeNode): void => {
    samples.push({ actor: metricName(node), mailbox: node.mailbox, restarts: node.restarts });
    for (const child of node.children ?? []) visit(child);
  };
  visit(root);
  return samples;
}
