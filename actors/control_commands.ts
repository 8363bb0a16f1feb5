/**
 * The troupectl verbs, one small function each, like ejabberd_commands: `(node, args) →
 * result`. A thrown Error is the answer's one-line message; {@link UsageError} marks a request
 * that was wrong in itself (unknown verb, wrong number of arguments).
 */
import type { Node } from './node.js';
import type { Process } from '../supervision/process.js';
import { whereis } from '../supervision/registry.js';
import { whichChildren, type ChildInfo } from '../supervision/supervisor.js';
import { injectFault } from '../supervision/gen_server.js';
import { jid } from '../src/jid.js';
import { oneLine, type ControlResponse, type StatusResult, type TreeNode } from '../src/control/protocol.js';
import { account, checkPassword, existingAccount, validHost } from './control_args.js';
import { rosterList, sendMessage } from './control_im.js';
import { backup, restore } from './control_backup.js';
import { reload } from './control_reload.js';
import { clusterCommand } from './control_cluster.js';
import { removeUser } from './remove_user.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

type Run = (node: Node, args: string[]) => Promise<unknown>;

interface Command {
  /** Argument names, for the usage line; the count is checked before `run`. */
  args: string[];
  help: string;
  run: Run;
}

const PID = /^<0\.\d+\.0>$/;

/** Answers one request; never throws. */
export async function runCommand(node: Node, cmd: string, args: string[]): Promise<ControlResponse> {
  try {
    const command = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd]! : undefined;
    if (!command) throw new UsageError(`unknown command '${cmd}' (troupectl help lists them)`);
    if (args.length !== command.args.length) throw new UsageError(`usage: troupectl ${[cmd, ...command.args].join(' ')}`);
    return { ok: true, result: await command.run(node, args) };
  } catch (error) {
    const message = oneLine(error instanceof Error ? error.message : String(error)) || 'command failed';
    return error instanceof UsageError ? { ok: false, error: message, usage: true } : { ok: false, error: message };
  }
}

// ---- the node ----

async function status(node: Node): Promise<StatusResult> {
  const { pids } = await walkTree();
  return {
    pid: process.pid,
    uptime_s: Math.round((Date.now() - node.startedAt) / 1000),
    hosts: [...node.hosts],
    sessions: node.sessions.size,
    processes: pids.size,
  };
}

async function tree(): Promise<TreeNode> {
  return (await walkTree()).root;
}

async function crash(_node: Node, [target]: string[]): Promise<{ name: string | null; pid: string }> {
  const pid = PID.test(target!) ? (await walkTree()).pids.get(target!) : whereis(target!);
  if (!pid?.alive) throw new Error(`no process named ${target}`);
  injectFault(pid, 'crashed by troupectl');
  return { name: pid.name, pid: String(pid) };
}

async function stop(): Promise<string> {
  // After this answer is written: main's SIGTERM handler stops the tree in order and exits 0.
  setImmediate(() => process.kill(process.pid, 'SIGTERM'));
  return 'stopping';
}

async function help(): Promise<string[]> {
  return Object.entries(COMMANDS).map(([verb, c]) => `${[verb, ...c.args].join(' ').padEnd(34)} ${c.help}`);
}

/** The live tree from `troupe_sup`, and every pid in it (for `crash <0.N.0>`). */
export async function walkTree(): Promise<{ root: TreeNode; pids: Map<string, Process> }> {
  const top = whereis('troupe_sup');
  if (!top) throw new Error('troupe_sup is not running');
  const pids = new Map<string, Process>();
  const root = await describe({ id: 'troupe_sup', pid: top, type: 'supervisor', restarts: 0 }, pids);
  return { root, pids };
}

async function describe(child: Pick<ChildInfo, 'id' | 'pid' | 'type' | 'restarts'>, pids: Map<string, Process>): Promise<TreeNode> {
  const { id, pid, type, restarts } = child;
  const status = pid === null ? 'restarting' : pid.alive ? 'running' : 'dead';
  const node: TreeNode = {
    id, name: pid?.name ?? null, label: pid?.label ?? null, pid: pid ? String(pid) : null, status, restarts, mailbox: pid?.mailboxLength ?? 0, type,
  };
  if (!pid) return node;
  pids.set(String(pid), pid);
  if (type === 'supervisor' && pid.alive) {
    node.children = await Promise.all((await whichChildren(pid)).map((c) => describe(c, pids)));
  }
  return node;
}

// ---- accounts (ejabberd_auth) ----
// Through `node.accounts` (the passwd store behind the login cache), so a change is seen by
// the very next login rather than after the cache's TTL.

async function register(node: Node, [userArg, hostArg, password]: string[]): Promise<string> {
  const { user, host } = account(node, userArg!, hostArg!);
  checkPassword(password!);
  if (await node.accounts.exists(user, host)) throw new Error(`user ${user}@${host} already exists`);
  await node.accounts.setPassword(user, host, password!);
  return `user ${user}@${host} registered`;
}

async function unregister(node: Node, [userArg, hostArg]: string[]): Promise<string> {
  const { user, host } = await existingAccount(node, userArg!, hostArg!);
  await removeUser(node, user, host);
  kickSessions(node, user, host);
  return `user ${user}@${host} unregistered`;
}

async function passwd(node: Node, [userArg, hostArg, password]: string[]): Promise<string> {
  const { user, host } = account(node, userArg!, hostArg!);
  checkPassword(password!);
  if (!(await node.accounts.exists(user, host))) throw new Error(`user ${user}@${host} does not exist`);
  await node.accounts.setPassword(user, host, password!);
  return `password of ${user}@${host} changed`;
}

async function registeredUsers(node: Node, [hostArg]: string[]): Promise<string[]> {
  return node.accounts.users(validHost(node, hostArg!));
}

// ---- sessions (ejabberd_sm) ----

async function connectedUsers(node: Node): Promise<string[]> {
  return [...node.sessions.all()].map((s) => s.jid.toString()).sort();
}

/** Each c2s closes its stream with `policy-violation` ("Kicked by administrator"). */
function kickSessions(node: Node, user: string, host: string): number {
  const sessions = node.sessions.resources(jid(user, host));
  for (const session of sessions) session.pid.cast({ type: 'kick' });
  return sessions.length;
}

async function kick(node: Node, [userArg, hostArg]: string[]): Promise<number> {
  const { user, host } = account(node, userArg!, hostArg!);
  const kicked = kickSessions(node, user, host);
  if (kicked === 0) throw new Error('user not connected');
  return kicked;
}

const COMMANDS: Record<string, Command> = {
  status: { args: [], help: 'uptime, hosts, sessions, processes', run: status },
  tree: { args: [], help: 'the live supervision tree', run: tree },
  crash: { args: ['NAME|PID'], help: 'inject a fault into a process (watch it restart)', run: crash },
  stop: { args: [], help: 'stop the node', run: stop },
  register: { args: ['USER', 'HOST', 'PASSWORD'], help: 'create an account', run: register },
  unregister: { args: ['USER', 'HOST'], help: 'delete an account (its sessions are kicked)', run: unregister },
  passwd: { args: ['USER', 'HOST', 'PASSWORD'], help: "change an account's password", run: passwd },
  'registered-users': { args: ['HOST'], help: 'accounts of a host', run: registeredUsers },
  'connected-users': { args: [], help: 'full JIDs of all sessions', run: connectedUsers },
  kick: { args: ['USER', 'HOST'], help: "close a user's sessions", run: kick },
  'send-message': { args: ['FROM', 'TO', 'BODY'], help: 'route a chat message as if FROM sent it', run: sendMessage },
  'roster-list': { args: ['USER', 'HOST'], help: "a user's roster items", run: rosterList },
  backup: { args: ['FILE'], help: 'write all stored data to FILE (consistent while running)', run: backup },
  restore: { args: ['FILE'], help: 'replace all stored data with a backup', run: restore },
  reload: { args: [], help: 'apply the config file again; say what needs a restart', run: reload },
  cluster: { args: ['status|rooms'], help: 'the cluster\'s nodes, their liveness and sessions; or its MUC rooms and their owners', run: clusterCommand },
  help: { args: [], help: 'this list', run: help },
};
