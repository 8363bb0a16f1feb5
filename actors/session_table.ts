/**
 * ejabberd_sm's session table: user@host → resource → session (c2s pid, priority,
 * presence). Kept by the `sm` actor; read in the caller's process when routing.
 */
import type { Element } from 'ltx';
import type { Process } from '../supervision/process.js';
import type { ExitReason } from '../supervision/exit_reason.js';
import type { Jid } from '../src/jid.js';
import { IqTable } from './iq_handler.js';
import type { OwnedTable } from './table_keeper.js';

export interface Session {
  readonly jid: Jid;
  readonly pid: Process;
  readonly since: number;
  /** The cluster node holding it (issue #9); absent: this node. */
  readonly node?: string;
  /** null until the first available presence; negative priority = not for bare-JID messages. */
  priority: number | null;
  presence: Element | null;
  /**
   * What modules note about the session (ejabberd_sm's session info: `roster_requested`,
   * `carboncopy`, …). Set through {@link SessionTable.setInfo}, so a cluster sees it too.
   */
  readonly info: Record<string, SessionInfoValue>;
}

export type SessionInfoValue = string | number | boolean;

export type SessionListener = (session: Session, reason: ExitReason) => void;

export class SessionTable implements OwnedTable {
  protected readonly users = new Map<string, Map<string, Session>>();
  /** This node's sessions only (a cluster's remote ones are in `users` alone). */
  protected readonly byPid = new Map<Process, Session>();
  /** The sm IQ table lives beside the sessions: both are kept by the `sm` actor. */
  readonly iq = new IqTable();

  constructor(private readonly onClose: SessionListener) {}

  /** Opens a session; a session already on that resource is returned so it can be replaced. */
  open(jid: Jid, pid: Process): Session | undefined {
    const bare = jid.bareString();
    let resources = this.users.get(bare);
    if (!resources) this.users.set(bare, (resources = new Map()));
    const previous = resources.get(jid.resource);
    if (previous) this.byPid.delete(previous.pid);
    const session: Session = { jid, pid, since: Date.now(), priority: null, presence: null, info: {} };
    resources.set(jid.resource, session);
    this.byPid.set(pid, session);
    return previous;
  }

  close(pid: Process, reason: ExitReason): void {
    const session = this.byPid.get(pid);
    if (!session) return;
    this.byPid.delete(pid);
    const bare = session.jid.bareString();
    const resources = this.users.get(bare);
    if (resources?.get(session.jid.resource) === session) resources.delete(session.jid.resource);
    if (resources?.size === 0) this.users.delete(bare);
    this.onClose(session, reason);
  }

  setPresence(pid: Process, priority: number | null, presence: Element | null): void {
    const session = this.byPid.get(pid);
    if (!session) return;
    session.priority = priority;
    session.presence = presence;
  }

  /** `ejabberd_sm:set_user_info` (undefined: `del_user_info`) on this node's session of `pid`. */
  setInfo(pid: Process, key: string, value: SessionInfoValue | undefined): void {
    const session = this.byPid.get(pid);
    if (!session) return;
    if (value === undefined) delete session.info[key];
    else session.info[key] = value;
  }

  get(jid: Jid): Session | undefined {
    return this.users.get(jid.bareString())?.get(jid.resource);
  }

  /** All sessions of a bare JID. */
  resources(bare: Jid): Session[] {
    return [...(this.users.get(bare.bareString())?.values() ?? [])];
  }

  all(): IterableIterator<Session> {
    return this.byPid.values();
  }

  get size(): number {
    return this.byPid.size;
  }

  owners(): Set<Process> {
    return new Set([...this.byPid.keys(), ...this.iq.owners()]);
  }

  dropOwner(owner: Process, reason: ExitReason): void {
    this.close(owner, reason);
    this.iq.dropOwner(owner, reason);
  }
}
