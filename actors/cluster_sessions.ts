/**
 * The session table of a clustered node (issue #9), behind SessionTable's interface: this
 * node's sessions as before, each change also written to Redis; the other nodes' sessions
 * replicated from Redis's events channel, each with a proxy pid whose casts go to its node's
 * channel (a remote pid, as with Erlang distribution). Modules read the table and `deliver`
 * to its sessions unchanged, wherever a session lives.
 */
import { parse, type Element } from 'ltx';
import { Process } from '../supervision/process.js';
import type { ExitReason } from '../supervision/exit_reason.js';
import { parseJid, type Jid } from '../src/jid.js';
import { log } from '../src/log.js';
import { encodeCast, type SessionEntry, type SessionEvent } from '../src/cluster/wire.js';
import type { RedisSessions, StoredSession } from '../src/cluster/redis_sessions.js';
import { SessionTable, type Session, type SessionInfoValue, type SessionListener } from './session_table.js';

/** A cast that found nobody on the other side (its node is gone): the cluster actor re-routes it. */
export type UndeliveredListener = (session: Session, msg: Record<string, unknown>) => void;

const remoteSession = (jid: Jid, e: SessionEntry, pid: Process): Session =>
  ({ jid, pid, node: e.node, since: e.since, priority: e.priority, presence: e.presence === null ? null : parse(e.presence), info: e.info });

const entryOf = (s: Session, node: string): SessionEntry =>
  ({ node, since: s.since, priority: s.priority, presence: s.presence?.toString() ?? null, info: s.info });

export class ClusterSessionTable extends SessionTable {
  /** The other nodes' sessions, by full JID. */
  private readonly remote = new Map<string, Session>();
  /** The cluster actor: the remote sessions are its entries and go when it dies. */
  private replicator: Process | null = null;
  /** Set once this OS process has taken its node name (the sessions of an earlier run reaped). */
  joined = false;

  constructor(onClose: SessionListener, readonly redis: RedisSessions, private readonly onUndelivered: UndeliveredListener) {
    super(onClose);
  }

  /** A remote session that loses its resource here hears it from Redis (`OPEN`), not from sm. */
  override open(jid: Jid, pid: Process): Session | undefined {
    const previous = super.open(jid, pid);
    if (previous?.node !== undefined) this.forgetRemote(previous);
    this.redis.open(jid, entryOf(this.get(jid) as Session, this.redis.node));
    return previous?.node === undefined ? previous : undefined;
  }

  override close(pid: Process, reason: ExitReason): void {
    const session = this.byPid.get(pid);
    super.close(pid, reason);
    if (session) this.redis.close(session.jid);
  }

  override setPresence(pid: Process, priority: number | null, presence: Element | null): void {
    super.setPresence(pid, priority, presence);
    this.publish(pid);
  }

  override setInfo(pid: Process, key: string, value: SessionInfoValue | undefined): void {
    super.setInfo(pid, key, value);
    this.publish(pid);
  }

  private publish(pid: Process): void {
    const session = this.byPid.get(pid);
    if (session) this.redis.update(session.jid, entryOf(session, this.redis.node));
  }

  /** This node's session on `jid`, if it still holds it. */
  local(jid: Jid): Session | undefined {
    const session = this.get(jid);
    return session?.node === undefined ? session : undefined;
  }

  /** After a Redis outage longer than the TTL the others reaped our sessions: write them again. */
  announceAll(): void {
    for (const session of this.all()) this.redis.open(session.jid, entryOf(session, this.redis.node));
  }

  setReplicator(owner: Process): void {
    this.replicator = owner;
  }

  /** The replica starts again from a snapshot (start-up, or a subscriber that reconnected). */
  loadSnapshot(entries: StoredSession[]): void {
    for (const session of [...this.remote.values()]) this.forgetRemote(session);
    for (const { jid, entry } of entries) this.applyEvent({ op: 'set', jid, entry });
  }

  /** One change published by a node; our own come back too and are already applied. */
  applyEvent(event: SessionEvent): void {
    const node = event.op === 'set' ? event.entry.node : event.node;
    if (node === this.redis.node) return;
    const jid = parseJid(event.jid);
    const current = this.get(jid);
    if (event.op === 'del') {
      if (current?.node === node) this.forgetRemote(current);
      return;
    }
    if (current?.node === node) {
      const { priority, presence, info } = remoteSession(jid, event.entry, current.pid);
      Object.assign(current, { priority, presence, info });
      return;
    }
    // Our session (or another node's) lost the resource to `node`; ours is told by Redis (`replaced`).
    if (current?.node !== undefined) this.forgetRemote(current);
    else if (current) this.byPid.delete(current.pid);
    this.addRemote(remoteSession(jid, event.entry, this.proxy(jid, node)));
  }

  /**
   * The sessions a dead node held, as Redis returned them when they were reaped: out of the
   * replica, for `sm_remove_connection`. One the replica never had gets a pid of its own.
   */
  dropNode(node: string, lost: StoredSession[]): Session[] {
    return lost.map(({ jid, entry }) => {
      const current = this.remote.get(jid);
      if (current?.node !== node) return remoteSession(parseJid(jid), entry, new Process(`lost ${jid} @${node}`));
      this.forgetRemote(current);
      return current;
    });
  }

  /** Drops one remote session that turned out to be unreachable. */
  dropRemote(jid: Jid, node: string): void {
    const current = this.remote.get(jid.toString());
    if (current?.node === node) this.forgetRemote(current);
  }

  override owners(): Set<Process> {
    const owners = super.owners();
    if (this.replicator) owners.add(this.replicator);
    return owners;
  }

  override dropOwner(owner: Process, reason: ExitReason): void {
    super.dropOwner(owner, reason);
    if (owner !== this.replicator) return;
    this.replicator = null;
    for (const session of [...this.remote.values()]) this.forgetRemote(session);
  }

  private addRemote(session: Session): void {
    const bare = session.jid.bareString();
    let resources = this.users.get(bare);
    if (!resources) this.users.set(bare, (resources = new Map()));
    resources.set(session.jid.resource, session);
    this.remote.set(session.jid.toString(), session);
  }

  private forgetRemote(session: Session): void {
    const key = session.jid.toString();
    if (this.remote.get(key) === session) this.remote.delete(key);
    const resources = this.users.get(session.jid.bareString());
    if (resources?.get(session.jid.resource) === session) resources.delete(session.jid.resource);
    if (resources?.size === 0) this.users.delete(session.jid.bareString());
    void session.pid.stop('normal');
  }

  /** A pid standing for the session on `node`: each cast is published on that node's channel, in order. */
  private proxy(jid: Jid, node: string): Process {
    const pid = new Process(`remote ${jid} @${node}`);
    const undelivered = (msg: Record<string, unknown>): void => {
      const session = this.remote.get(jid.toString());
      if (session?.pid === pid) this.onUndelivered(session, msg);
    };
    pid.run({
      handle: (envelope) => {
        if (envelope.kind !== 'cast') return;
        const msg = envelope.msg as Record<string, unknown>;
        this.redis.cast(node, encodeCast(jid, msg)).then(
          (receivers) => receivers === 0 && undelivered(msg),
          (err: Error) => {
            log.warn({ err: err.message, jid: jid.toString(), node }, 'cast to another node failed');
            undelivered(msg);
          },
        );
      },
      terminate: () => undefined,
    });
    return pid;
  }
}
