/**
 * The chaos driver's view of the supervision tree (troupectl `tree --json`): which processes
 * may be crashed, and afterwards whether the supervisors did exactly what the crashes asked of
 * them: one restart per crash, no escalation, every other process untouched.
 */
import type { TreeNode } from '../../src/control/protocol.js';

/**
 * Never crashed: the LevelDB owner (its restart closes the database under every writer), the
 * listeners (new logins would fail while they rebind) and the control actor the driver talks to.
 */
const SPARED = /^(storage|control|listener_.*)$/;

export interface Target {
  /** The child id (`router`, `mod_roster`, `c2s` for every connection). */
  id: string;
  pid: string;
  /** For a c2s: the user whose connection it is. */
  user?: string;
  /** The path of child ids from the root, e.g. `/troupe_sup/modules_sup/mod_roster`. */
  path: string;
}

/** Running workers that may be crashed, found in the live tree (so new actors, like MUC rooms, are included). */
export function crashTargets(root: TreeNode): Target[] {
  const out: Target[] = [];
  const walk = (node: TreeNode, path: string): void => {
    const here = `${path}/${node.id}`;
    if (node.type === 'worker' && node.status === 'running' && node.pid !== null && !SPARED.test(node.name ?? node.id)) {
      out.push({ id: node.id, pid: node.pid, path: here, ...(isC2s(node) ? { user: c2sUser(node) } : {}) });
    }
    for (const child of node.children ?? []) walk(child, here);
  };
  walk(root, '');
  return out;
}

const isC2s = (node: TreeNode): boolean => node.label?.startsWith('c2s ') ?? false;

/** `c2s alice@localhost/phone` → `alice`. */
const c2sUser = (node: TreeNode): string => (node.label as string).slice(4).split('@')[0] as string;

/** Path → `value(node)` for every process but the connections (temporary: never restarted, not ours to count). */
function byPath<T>(root: TreeNode, value: (node: TreeNode) => T): Map<string, T> {
  const out = new Map<string, T>();
  const walk = (node: TreeNode, path: string): void => {
    const here = `${path}/${node.id}`;
    if (!isC2s(node)) out.set(here, value(node));
    for (const child of node.children ?? []) walk(child, here);
  };
  walk(root, '');
  return out;
}

/**
 * What went wrong in the tree: a restart count that is not the number of crashes injected
 * there (a missing restart, or one more: a crash spreading), a pid that changed without a
 * crash (an escalation restarts the whole subtree), a child not running at the end.
 */
export function treeViolations(before: TreeNode, after: TreeNode, crashed: Map<string, number>): string[] {
  const problems: string[] = [];
  const restartsBefore = byPath(before, (n) => n.restarts);
  for (const [path, restarts] of byPath(after, (n) => n.restarts)) {
    const expected = (restartsBefore.get(path) ?? 0) + (crashed.get(path) ?? 0);
    if (restarts !== expected) problems.push(`${path}: ${restarts} restarts, ${expected} expected`);
  }
  const pidsAfter = byPath(after, (n) => n.pid);
  for (const [path, pid] of byPath(before, (n) => n.pid)) {
    const now = pidsAfter.get(path);
    if (now === undefined || now === null) problems.push(`${path}: not running at the end`);
    else if (!crashed.has(path) && now !== pid) problems.push(`${path}: pid ${pid} → ${now} without a crash`);
  }
  return problems;
}
