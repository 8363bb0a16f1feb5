/**
 * troupectl (ejabberdctl): `troupectl [--config FILE] [--json] <command> [args]` sends one
 * request on the node's control socket and prints the answer. It only speaks the protocol of
 * src/control/protocol.ts. Exit codes: 0 done, 1 the command failed or the node is not
 * running, 2 the command line was wrong.
 */
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, resolveConfigPath } from '../config/load.js';
import {
  LineSplitter, encode, parseResponse, socketPath,
  type BackupResult, type ClusterNodeStatus, type ClusterRoomStatus, type ControlRequest, type ControlResponse, type ReloadResult, type RosterListItem, type StatusResult, type TreeNode,
} from '../control/protocol.js';
import { formatChange } from '../config/reload.js';

const USAGE = `usage: troupectl [--config FILE] [--json] <command> [args]
  status | tree | crash NAME|PID | stop
  register USER HOST PASSWORD | unregister USER HOST | passwd USER HOST PASSWORD
  registered-users HOST | connected-users | kick USER HOST
  send-message FROM TO BODY | roster-list USER HOST
  backup FILE | restore FILE | reload | help
  (put -- before arguments that start with -)`;

/** PBKDF2 at high iteration counts takes a while; a node that never answers should not hang us. */
const ANSWER_TIMEOUT_MS = 60_000;
/** A backup or restore reads or writes the whole database. */
const LONG_ANSWER_TIMEOUT_MS = 30 * 60_000;
/** Verbs whose FILE argument is read or written by the node, whose working directory is not ours. */
const FILE_VERBS = new Set(['backup', 'restore']);

/** Ends the run with an exit code and a message for stderr. */
class Exit extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(argv);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [cmd, ...given] = positionals;
  if (cmd === undefined) throw new Exit(2, `no command given\n${USAGE}`);
  const args = FILE_VERBS.has(cmd) && given.length === 1 ? [path.resolve(given[0]!)] : given;
  const sock = socketPath(loadConfig(resolveConfigPath(values.config ? ['--config', values.config] : [], process.env)).data_dir);
  const response = await request(sock, { cmd, args }, FILE_VERBS.has(cmd) ? LONG_ANSWER_TIMEOUT_MS : ANSWER_TIMEOUT_MS);
  if (!response.ok) throw new Exit(response.usage ? 2 : 1, response.error);
  const out = values.json ? JSON.stringify(response.result, null, 2) : humanize(cmd, response.result);
  if (out !== '') console.log(out);
}

function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { config: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new Exit(2, `${(error as Error).message.split('\n', 1)[0]}\n${USAGE}`);
  }
}

function request(path: string, req: ControlRequest, timeoutMs: number): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path);
    const lines = new LineSplitter();
    let answered = false;
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(new Exit(1, `no answer on ${path} within ${timeoutMs / 1000} s`)));
    socket.on('connect', () => socket.write(encode(req)));
    socket.on('data', (chunk: string) => {
      const [line] = lines.push(chunk);
      if (line === undefined || answered) return;
      answered = true;
      socket.end();
      try {
        resolve(parseResponse(line));
      } catch {
        reject(new Exit(1, `unreadable answer on ${path}`));
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => reject(connectError(error, path)));
    socket.on('close', () => reject(new Exit(1, `the node closed ${path} without answering`)));
  });
}

function connectError(error: NodeJS.ErrnoException, path: string): Error {
  switch (error.code) {
    case 'ENOENT': return new Exit(1, `Troupe is not running (no control socket at ${path})`);
    case 'ECONNREFUSED': return new Exit(1, `Troupe is not running (stale control socket at ${path})`);
    case 'EACCES': return new Exit(1, `permission denied on ${path} (run troupectl as the user running Troupe)`);
    default: return error instanceof Exit ? error : new Exit(1, `${path}: ${error.message}`);
  }
}

// ---- human output ----

function humanize(cmd: string, result: unknown): string {
  switch (cmd) {
    case 'tree': return formatTree(result as TreeNode);
    case 'status': return formatStatus(result as StatusResult);
    case 'crash': {
      const { name, pid } = result as { name: string | null; pid: string };
      return `crashed ${name ? `${name} ` : ''}${pid}`;
    }
    case 'kick': return `kicked ${String(result)} session(s)`;
    case 'roster-list': return formatRoster(result as RosterListItem[]);
    case 'backup': {
      const b = result as BackupResult;
      return `backup written to ${b.file}: ${b.keys} keys as of ${b.created}`;
    }
    case 'restore': {
      const b = result as BackupResult;
      return `restored ${b.keys} keys from ${b.file} (backup of ${b.created})`;
    }
    case 'reload': return formatReload(result as ReloadResult);
    case 'cluster': return formatCluster(result as ClusterNodeStatus[] | ClusterRoomStatus[]);
  }
  if (typeof result === 'string') return result;
  if (Array.isArray(result)) return result.join('\n');
  return JSON.stringify(result, null, 2);
}

function formatStatus(s: StatusResult): string {
  const t = s.uptime_s;
  const uptime = `${Math.floor(t / 86400)}d ${Math.floor((t % 86400) / 3600)}h ${Math.floor((t % 3600) / 60)}m ${t % 60}s`;
  return [
    `Troupe is running (pid ${s.pid}, up ${uptime.replace(/^(0[dhm] )+/, '')})`,
    `hosts: ${s.hosts.join(', ')}`,
    `sessions: ${s.sessions}`,
    `processes: ${s.processes}`,
  ].join('\n');
}

/** One line per node, tab-separated: name, liveness (with the TTL left), sessions. */
function formatCluster(rows: ClusterNodeStatus[] | ClusterRoomStatus[]): string {
  if (rows.some((r) => 'room' in r)) return formatRooms(rows as ClusterRoomStatus[]);
  return (rows as ClusterNodeStatus[])
    .map((n) => [
      n.self ? `${n.name} (this node)` : n.name,
      n.ttl_ms === null ? 'dead' : `alive (ttl ${(n.ttl_ms / 1000).toFixed(1)}s)`,
      `${n.sessions} sessions`,
    ].join('\t'))
    .join('\n');
}

/** One line per room, tab-separated: room, owner node (or `no owner`), occupants. */
function formatRooms(rooms: ClusterRoomStatus[]): string {
  return rooms.map((r) => [r.room, r.owner ?? 'no owner', `${r.occupants} occupants`].join('\t')).join('\n');
}

/** One line per item, tab-separated like ejabberdctl's get_roster: jid, name, subscription, groups (comma-separated). */
function formatRoster(items: RosterListItem[]): string {
  return items.map((i) => [i.jid, i.name ?? '', i.subscription, i.groups.join(',')].join('\t')).join('\n');
}

function formatReload(r: ReloadResult): string {
  const lines = [`reloaded ${r.file ?? '(no config file)'}`];
  const section = (title: string, items: string[]): void => {
    if (items.length) lines.push(`${title}:`, ...items.map((i) => `  ${i}`));
  };
  section('applied', r.applied.map(formatChange));
  const { started, stopped, restarted } = r.modules;
  section('modules', [...started.map((m) => `${m} started`), ...stopped.map((m) => `${m} stopped`), ...restarted.map((m) => `${m} restarted`)]);
  section('needs a restart', r.needsRestart.map(formatChange));
  if (!r.applied.length && !r.needsRestart.length) lines.push('no changes');
  lines.push(...r.notes.map((n) => `note: ${n}`));
  return lines.join('\n');
}

/** The tree with box-drawing indentation, then aligned columns, like `observer`'s process list. */
function formatTree(root: TreeNode): string {
  const rows: string[][] = [['NAME', 'PID', 'STATUS', 'RESTARTS', 'MAILBOX']];
  const walk = (node: TreeNode, head: string, tail: string): void => {
    rows.push([head + (node.name ?? node.label ?? node.id), node.pid ?? '-', node.status, String(node.restarts), String(node.mailbox)]);
    const children = node.children ?? [];
    children.forEach((child, i) => {
      const last = i === children.length - 1;
      walk(child, tail + (last ? '└─ ' : '├─ '), tail + (last ? '   ' : '│  '));
    });
  };
  walk(root, '', '');
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  // Text columns align left, numbers right.
  return rows
    .map((r) => r.map((cell, col) => (col >= 3 ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!))).join('  ').trimEnd())
    .join('\n');
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof Exit) {
    console.error(`troupectl: ${error.message}`);
    process.exitCode = error.code;
  } else if (error instanceof ConfigError) {
    console.error(error.problems.map((p) => `troupectl: ${p}`).join('\n'));
    process.exitCode = 1;
  } else {
    console.error(`troupectl: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
});
