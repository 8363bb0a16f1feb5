/**
 * The `cluster` actor (issue #9): this node's membership of a Redis cluster. It keeps the
 * node's liveness key fresh, reaps the sessions of nodes whose key expired, replicates the
 * other nodes' sessions into the session table (from the events channel, in Redis's order)
 * and delivers the casts other nodes publish on this node's channel to local sessions, as if
 * `deliver` had been called here. Started after `sm`, so it stops after every c2s: on
 * SIGTERM the sessions have closed (`system-shutdown`) before the node leaves the cluster.
 */
import type { Element } from 'ltx';
import type { Redis } from 'ioredis';
import { whereis } from '../supervision/registry.js';
import type { Process } from '../supervision/process.js';
import { noreply, start, type GenServer } from '../supervision/gen_server.js';
import type { ExitReason } from '../supervision/exit_reason.js';
import type { Jid } from '../src/jid.js';
import { childLog } from '../src/log.js';
import { decodeNodeMessage, keys, parseSessionEvent, type SessionEvent } from '../src/cluster/wire.js';
import { handOver, toRooms } from './cluster_rooms.js';
import { updateTable } from './table_keeper.js';
import { routeToUser } from './sm.js';
import type { ClusterSessionTable } from './cluster_sessions.js';
import type { Session } from './session_table.js';
import type { Node } from './node.js';

const log = childLog({ actor: 'cluster' });

type Info =
  | { type: 'pubsub'; channel: string; text: string }
  | { type: 'resync' }
  | { type: 'tick' }
  | { type: 'undelivered'; jid: Jid; node: string; msg: Record<string, unknown> };

interface State {
  node: Node;
  table: ClusterSessionTable;
  sub: Redis;
  ttlMs: number;
}

/** The table's {@link UndeliveredListener}: the cluster actor re-routes what a dead node missed. */
export function undeliveredCast(session: Session, msg: Record<string, unknown>): void {
  whereis('cluster')?.info({ type: 'undelivered', jid: session.jid, node: session.node as string, msg } satisfies Info);
}

const cluster: GenServer<State, { node: Node; table: ClusterSessionTable }> = {
  async init({ node, table }, self) {
    const { redis } = table;
    await redis.connect();
    if (!table.joined) {
      // A node restarted under the same name (after kill -9): what Redis says it holds is stale.
      await redis.leave();
      await handOver(node, redis.node, false);
      table.joined = true;
    }
    const sub = redis.subscriber();
    sub.on('message', (channel: string, text: string) => self.info({ type: 'pubsub', channel, text } satisfies Info));
    // ioredis subscribes again after a reconnect; events missed meanwhile come from a snapshot.
    let subscribedOnce = false;
    sub.on('ready', () => {
      if (subscribedOnce) self.info({ type: 'resync' } satisfies Info);
      subscribedOnce = true;
    });
    await sub.subscribe(keys.nodeChannel(redis.node), keys.sessionEvents);
    const ttlMs = Math.round((node.config.cluster?.liveness_ttl_s ?? 5) * 1000);
    const state: State = { node, table, sub, ttlMs };
    await updateTable<ClusterSessionTable, void>('sm', self, (t) => t.setReplicator(self));
    await resync(state, self);
    await heartbeat(state);
    self.sendAfter(ttlMs / 3, { type: 'tick' } satisfies Info);
    log.info({ node: redis.node, ttl_ms: ttlMs }, 'joined the cluster');
    return state;
  },

  async handleInfo(msg, state, self) {
    const info = msg as Info;
    switch (info.type) {
      case 'pubsub':
        await onPublished(state, self, info.channel, info.text);
        break;
      case 'resync':
        await resync(state, self);
        break;
      case 'tick':
        await tick(state, self);
        self.sendAfter(state.ttlMs / 3, { type: 'tick' } satisfies Info);
        break;
      case 'undelivered':
        await updateTable<ClusterSessionTable, void>('sm', self, (t) => t.dropRemote(info.jid, info.node));
        await redeliver(state, info.msg);
        await reapDead(state, self);
        await restore(self, state, info.jid);
        break;
    }
    return noreply(state);
  },

  async terminate(reason: ExitReason, state) {
    await state.sub.quit().catch(() => undefined);
    if (reason !== 'shutdown') return; // a crash: the node stays in the cluster, the restart resubscribes
    await state.table.redis.leave().catch((err: Error) => log.warn({ err: err.message }, 'leaving the cluster'));
    await handOver(state.node, state.table.redis.node, false).catch((err: Error) => log.warn({ err: err.message }, 'handing rooms over'));
    await state.table.redis.quit();
    log.info({ node: state.table.redis.node }, 'left the cluster');
  },
};

async function onPublished(state: State, self: Process, channel: string, text: string): Promise<void> {
  try {
    if (channel === keys.sessionEvents) return await applyEvent(self, parseSessionEvent(text));
    const message = decodeNodeMessage(text);
    if (message.type !== 'cast') return await toRooms(state.node, message);
    const session = state.table.local(message.jid);
    if (session) session.pid.cast(message.msg);
    else await redeliver(state, message.msg);
  } catch (err) {
    log.warn({ err: (err as Error).message, channel }, 'bad message on a cluster channel');
  }
}

function applyEvent(self: Process, event: SessionEvent): Promise<void> {
  return updateTable<ClusterSessionTable, void>('sm', self, (t) => t.applyEvent(event));
}

/** A stanza for a session that is gone: delivered as to an unavailable resource (other resources, offline storage). */
async function redeliver(state: State, msg: Record<string, unknown>): Promise<void> {
  if (msg.type !== 'route') return;
  await routeToUser(state.node, msg.from as Jid, msg.to as Jid, msg.stanza as Element);
}

/**
 * After an undelivered cast: if Redis still has the session (its node is alive after all, its
 * subscriber reconnecting, or not yet reaped), it comes back into the replica. Until the node
 * is reaped each cast to it costs a PUBLISH and this read, and still reaches its user or storage.
 */
async function restore(self: Process, state: State, jid: Jid): Promise<void> {
  const entry = await state.table.redis.session(jid);
  if (entry) await applyEvent(self, { op: 'set', jid: jid.toString(), entry });
}

async function resync(state: State, self: Process): Promise<void> {
  const snapshot = await state.table.redis.snapshot();
  await updateTable<ClusterSessionTable, void>('sm', self, (t) => t.loadSnapshot(snapshot));
}

async function heartbeat(state: State): Promise<void> {
  const info = JSON.stringify({ pid: process.pid, since: state.node.startedAt });
  if (await state.table.redis.heartbeat(state.ttlMs, info)) state.table.announceAll();
}

/** Every third of the TTL: stay alive, and reap whoever did not. Redis unreachable: retry next time. */
async function tick(state: State, self: Process): Promise<void> {
  try {
    await heartbeat(state);
    await reapDead(state, self);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'cluster heartbeat failed');
  }
}

async function reapDead(state: State, self: Process): Promise<void> {
  for (const dead of await state.table.redis.deadNodes()) {
    const lost = await state.table.redis.reap(dead);
    if (!lost) continue; // alive again
    log.warn({ node: dead, sessions: lost.length }, 'reaped a dead node');
    const sessions = await updateTable<ClusterSessionTable, Session[]>('sm', self, (t) => t.dropNode(dead, lost));
    // As for any session that ends, once (only the reaper got them back): contacts get unavailable.
    const reason = new Error(`node ${dead} is down`);
    for (const session of sessions) await state.node.hooks.run('sm_remove_connection', session.jid.domain, session, reason);
    // After its sessions are out of every replica (the reap published it first): who is left in its rooms is known.
    await handOver(state.node, dead, true);
  }
}

export function startCluster(node: Node, table: ClusterSessionTable, parent: Process): Promise<Process> {
  return start(cluster, { node, table }, { name: 'cluster', link: parent, trapExit: true });
}
