/**
 * The control channel's protocol (like ejabberdctl talking to the node): a Unix socket
 * `<data_dir>/troupe.sock`, newline-delimited JSON, one request → one response. Shared by the
 * `control` actor and `troupectl`, which speaks only this (src/ never imports actors/).
 */
import path from 'node:path';
import type { ConfigChange } from '../config/reload.js';

export interface ControlRequest {
  cmd: string;
  args: string[];
}

/** `usage`: the request itself was wrong (unknown verb, wrong arguments); troupectl exits 2. */
export type ControlResponse =
  | { ok: true; result: unknown }
  | { ok: false; error: string; usage?: boolean };

/** One process of the supervision tree, as `tree` returns it. */
export interface TreeNode {
  id: string;
  name: string | null;
  /** The process label, e.g. `c2s alice@localhost/phone` for a connection (null with no pid). */
  label: string | null;
  /** null while its supervisor restarts it. */
  pid: string | null;
  status: 'running' | 'dead' | 'restarting';
  restarts: number;
  mailbox: number;
  type: 'worker' | 'supervisor';
  children?: TreeNode[];
}

export interface StatusResult {
  pid: number;
  uptime_s: number;
  hosts: string[];
  sessions: number;
  processes: number;
}

/** One node of `cluster status` (issue #9). */
export interface ClusterNodeStatus {
  name: string;
  /** Milliseconds left on its liveness key; null: the key is gone (dead, not yet reaped). */
  ttl_ms: number | null;
  sessions: number;
  self: boolean;
}

/** One MUC room of `cluster rooms` (issue #9): its owner node (null: being taken over) and occupants. */
export interface ClusterRoomStatus {
  room: string;
  owner: string | null;
  occupants: number;
}

/** One item of `roster-list` (RFC 6121 §2.1.2); `ask` only while a subscription request is pending. */
export interface RosterListItem {
  jid: string;
  name: string | null;
  subscription: 'none' | 'to' | 'from' | 'both';
  ask?: 'subscribe';
  groups: string[];
}

/** What `reload` did: the live keys applied, the keys that wait for a restart, the modules touched. */
export interface ReloadResult {
  /** The file read again; null when the node runs on the embedded defaults. */
  file: string | null;
  applied: ConfigChange[];
  needsRestart: ConfigChange[];
  modules: { started: string[]; stopped: string[]; restarted: string[] };
  notes: string[];
}

/** `backup` and `restore`: the file, its date and how many LevelDB keys it holds. */
export interface BackupResult {
  file: string;
  created: string;
  keys: number;
}

/** A request line longer than this is refused, so no client makes the node buffer without end. */
export const MAX_LINE = 64 * 1024;

export const socketPath = (dataDir: string): string => path.join(dataDir, 'troupe.sock');

export const encode = (msg: ControlRequest | ControlResponse): string => `${JSON.stringify(msg)}\n`;

/** The first line of a message: every error on the channel is one line. */
export const oneLine = (text: string): string => text.split('\n', 1)[0]!.trim();

/**
 * Splits a decoded stream into lines; a chunk may hold several lines or part of one. The node
 * bounds requests; the CLI does not bound answers (the tree of a busy node is long).
 */
export class LineSplitter {
  private buffer = '';

  constructor(private readonly maxLine = Infinity) {}

  /** The complete non-blank lines in `chunk`; throws RangeError when a line exceeds the bound. */
  push(chunk: string): string[] {
    this.buffer += chunk;
    const lines = this.buffer.split('\n');
    this.buffer = lines.pop()!;
    if (this.buffer.length > this.maxLine || lines.some((l) => l.length > this.maxLine)) {
      throw new RangeError(`line longer than ${this.maxLine} characters`);
    }
    return lines.filter((l) => l.trim() !== '');
  }
}

/** Validates a request line; a string is the error to answer with. */
export function parseRequest(line: string): ControlRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'bad request: not JSON';
  }
  const req = value as Partial<ControlRequest> | null;
  if (typeof req !== 'object' || req === null || typeof req.cmd !== 'string') return 'bad request: expected {"cmd": string, "args": [string]}';
  const args = req.args ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) return 'bad request: args must be a list of strings';
  return { cmd: req.cmd, args };
}

/** Validates a response line (the CLI's side). */
export function parseResponse(line: string): ControlResponse {
  const value = JSON.parse(line) as Partial<ControlResponse> | null;
  if (typeof value !== 'object' || value === null || typeof value.ok !== 'boolean') throw new Error('malformed response');
  return value as ControlResponse;
}
