/**
 * The observer (ARCHITECTURE §8), served by the HTTP listener: the page, its event stream and
 * its crash button. The stream carries the supervisors' event feed as it happens (`event`,
 * restarts and failures only, for the timeline) and a snapshot of the tree (`snapshot`) every
 * second and right after each such event. The state here belongs to the listener's process
 * and changes only in its handler ({@link handleObserverMsg}); the tree is walked outside the
 * mailbox, so a supervisor busy stopping the listener never waits on it.
 */
import type { ServerResponse } from 'node:http';
import type { Process } from '../supervision/process.js';
import type { SupervisorEvent } from '../supervision/events.js';
import { childLog } from '../src/log.js';
import { crashTarget, readBody, sendJson, sendText, type HttpRoute } from '../src/http/routes.js';
import { eventFrame, openEventStream } from '../src/http/sse.js';
import { appendEvent, isNoteworthy, type TimelineEvent } from '../src/http/timeline.js';
import { observeTree, type ObserverSnapshot, type SessionInfo } from '../src/http/snapshot.js';
import { OBSERVER_CSP, OBSERVER_HTML } from '../src/http/observer_page.js';
import type { TreeNode } from '../src/control/protocol.js';
import { runCommand, walkTree } from './control_commands.js';
import type { Node } from './node.js';

const log = childLog({ actor: 'listener_http' });

const SNAPSHOT_EVERY_MS = 1000;
/** An event-stream client this far behind is dropped rather than buffered for. */
const MAX_BUFFERED = 1024 * 1024;

/** One walk of the tree and the node, made outside the mailbox. */
interface Walk {
  at: number;
  root: TreeNode;
  handled: Map<string, number>;
  sessions: SessionInfo[];
  node: Omit<ObserverSnapshot['node'], 'processes'>;
}

export interface ObserverState {
  node: Node;
  clients: Set<ServerResponse>;
  timeline: TimelineEvent[];
  /** `supervisor/child` → its last exit reason. */
  lastExit: Map<string, string>;
  previous: { handled: Map<string, number>; at: number } | null;
  walking: boolean;
  walkAgain: boolean;
  tickPending: boolean;
}

export type ObserverMsg =
  | { type: 'sse_open'; res: ServerResponse }
  | { type: 'sse_close'; res: ServerResponse }
  | { type: 'sup_event'; event: SupervisorEvent }
  | { type: 'tick' }
  | { type: 'walked'; walk: Walk }
  | { type: 'walk_failed'; error: Error };

const OBSERVER_MSGS = new Set<string>(['sse_open', 'sse_close', 'sup_event', 'tick', 'walked', 'walk_failed']);

export const isObserverMsg = (msg: unknown): msg is ObserverMsg =>
  typeof msg === 'object' && msg !== null && OBSERVER_MSGS.has((msg as { type?: string }).type ?? '');

export function newObserver(node: Node): ObserverState {
  return { node, clients: new Set(), timeline: [], lastExit: new Map(), previous: null, walking: false, walkAgain: false, tickPending: false };
}

/** Ends every event stream (the browsers reconnect to the restarted listener). */
export function closeObserver(obs: ObserverState): void {
  for (const res of obs.clients) res.end();
  obs.clients.clear();
}

export function handleObserverMsg(obs: ObserverState, msg: ObserverMsg, self: Process): void {
  switch (msg.type) {
    case 'sse_open': return openClient(obs, msg.res, self);
    case 'sse_close': return void obs.clients.delete(msg.res);
    case 'sup_event': return onSupervisorEvent(obs, msg.event, self);
    case 'tick': obs.tickPending = false; return requestWalk(obs, self);
    case 'walked': return onWalked(obs, msg.walk, self);
    case 'walk_failed':
      log.debug({ err: msg.error }, 'observer snapshot failed');
      return afterWalk(obs, self);
  }
}

// ---- routes ----

export function observerRoutes(node: Node, self: Process): HttpRoute[] {
  return [
    { method: 'GET', path: '/observer', access: 'observer', handle: (_req, res) => page(res) },
    {
      method: 'GET', path: '/observer/events', access: 'observer',
      handle(req, res) {
        openEventStream(res);
        self.info({ type: 'sse_open', res } satisfies ObserverMsg);
        req.on('close', () => self.info({ type: 'sse_close', res } satisfies ObserverMsg));
      },
    },
    { method: 'POST', path: '/observer/crash', access: 'observer', handle: (req, res) => crash(node, req, res) },
  ];
}

function page(res: ServerResponse): void {
  res.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Security-Policy': OBSERVER_CSP,
    'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer',
  });
  res.end(OBSERVER_HTML);
}

/** `POST /observer/crash` with a name or a pid: `troupectl crash`'s command, answered in JSON. */
async function crash(node: Node, req: Parameters<HttpRoute['handle']>[0], res: ServerResponse): Promise<void> {
  let body: string;
  try {
    body = await readBody(req);
  } catch {
    return sendText(res, 413, 'body too large\n');
  }
  const target = crashTarget(body);
  if (target === null) return sendJson(res, 400, { error: 'expected a process name or pid, e.g. router or <0.42.0>' });
  const answer = await runCommand(node, 'crash', [target]);
  log.info({ target, ok: answer.ok }, 'crash requested from the observer');
  if (answer.ok) sendJson(res, 200, answer.result);
  else sendJson(res, 404, { error: answer.error });
}

// ---- the live feed ----

function openClient(obs: ObserverState, res: ServerResponse, self: Process): void {
  if (res.destroyed) return;
  obs.clients.add(res);
  res.write(eventFrame('hello', { timeline: obs.timeline }));
  requestWalk(obs, self);
}

function broadcast(obs: ObserverState, event: string, data: unknown): void {
  const frame = eventFrame(event, data);
  for (const res of obs.clients) {
    if (res.writableLength > MAX_BUFFERED) {
      obs.clients.delete(res);
      res.destroy();
    } else res.write(frame);
  }
}

function onSupervisorEvent(obs: ObserverState, event: SupervisorEvent, self: Process): void {
  if (event.type === 'exit' && event.reason !== undefined) obs.lastExit.set(`${event.supervisor}/${event.child}`, event.reason);
  if (!isNoteworthy(event)) return;
  obs.timeline = appendEvent(obs.timeline, event);
  broadcast(obs, 'event', event);
  requestWalk(obs, self); // show the new pid now, not at the next tick
}

/** One walk at a time; a request during a walk makes one more walk right after it. */
function requestWalk(obs: ObserverState, self: Process): void {
  if (obs.clients.size === 0) return;
  if (obs.walking) {
    obs.walkAgain = true;
    return;
  }
  obs.walking = true;
  walk(obs.node).then(
    (w) => self.info({ type: 'walked', walk: w } satisfies ObserverMsg),
    (error: Error) => self.info({ type: 'walk_failed', error } satisfies ObserverMsg),
  );
}

function onWalked(obs: ObserverState, w: Walk, self: Process): void {
  const previous = obs.previous;
  const { tree, processes } = observeTree({
    root: w.root, handled: w.handled, previous: previous?.handled ?? new Map(),
    elapsedS: previous ? (w.at - previous.at) / 1000 : 0, lastExit: obs.lastExit,
  });
  const snapshot: ObserverSnapshot = { at: w.at, node: { ...w.node, processes }, tree, sessions: w.sessions };
  broadcast(obs, 'snapshot', snapshot);
  obs.previous = { handled: w.handled, at: w.at };
  afterWalk(obs, self);
}

function afterWalk(obs: ObserverState, self: Process): void {
  obs.walking = false;
  if (obs.walkAgain) {
    obs.walkAgain = false;
    return requestWalk(obs, self);
  }
  if (obs.clients.size > 0 && !obs.tickPending) {
    obs.tickPending = true;
    self.sendAfter(SNAPSHOT_EVERY_MS, { type: 'tick' } satisfies ObserverMsg);
  }
}

async function walk(node: Node): Promise<Walk> {
  const { root, pids } = await walkTree();
  const at = Date.now();
  const handled = new Map([...pids].map(([pid, p]) => [pid, p.handled]));
  const sessions = [...node.sessions.all()].map((s) => ({ jid: s.jid.toString(), pid: String(s.pid), since: s.since }));
  sessions.sort((a, b) => a.jid.localeCompare(b.jid));
  const { rss, heapUsed } = process.memoryUsage();
  return { at, root, handled, sessions, node: { pid: process.pid, uptime_s: Math.round((at - node.startedAt) / 1000), rss, heapUsed } };
}
