/**
 * The process kernel: a pid with a mailbox drained strictly one message at a time (also across
 * `await` in a handler), links, monitors, trap_exit and exit signals by Erlang's rules.
 * Behaviours (gen_server, supervisor) sit on top; nothing here knows about XMPP.
 */
import { Queue } from './queue.js';
import { addDeadline, settle, type Deadline } from './call_timeouts.js';
import {
  CalleeExitError, CallTimeoutError, NoProcError, toReason, type ExitReason,
} from './exit_reason.js';
import * as registry from './registry.js';

/** Where a call's reply goes; handed to `handleCall` so replies can be deferred. */
export interface From {
  settled: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
  deadline: Deadline | null;
}

export type Envelope =
  | { kind: 'call'; msg: unknown; from: From }
  | { kind: 'cast'; msg: unknown }
  | { kind: 'info'; msg: unknown };

/** `{'EXIT', From, Reason}` delivered to a process that traps exits. */
export interface ExitMessage { type: 'EXIT'; from: Process | null; reason: ExitReason }
/** `{'DOWN', Ref, process, Pid, Reason}` delivered to a monitoring process. */
export interface DownMessage { type: 'DOWN'; ref: number; pid: Process; reason: ExitReason }

/** What runs a process: the behaviour's message handler and its clean-up. */
export interface ProcessBody {
  handle(envelope: Envelope): void | Promise<void>;
  /** Runs when the process ends itself (crash or stop), not when it is killed by a signal. */
  terminate(reason: ExitReason): void | Promise<void>;
  /** Told of every death, however it came. */
  died?(reason: ExitReason): void;
}

type Status = 'running' | 'exiting' | 'dead';

let nextId = 1;
let nextRef = 1;

export class Process {
  readonly id = nextId++;
  name: string | null = null;
  parent: Process | null = null;
  trapExit = false;
  status: Status = 'running';
  /** Messages handled so far: a rate for the observer. */
  handled = 0;

  private readonly mailbox = new Queue<Envelope>();
  private draining = false;
  private body: ProcessBody | null = null;
  // Allocated on first use: most processes never link, monitor or get called.
  private links: Set<Process> | null = null;
  private monitors: Map<number, Process> | null = null;
  private pendingCalls: Set<From> | null = null;
  private timers: Set<NodeJS.Timeout> | null = null;
  private exitReason: ExitReason | null = null;
  private exitedPromise: Promise<ExitReason> | null = null;
  private resolveExited: ((reason: ExitReason) => void) | null = null;

  /** What this process is, for unregistered processes in the tree (e.g. `c2s alice@localhost/phone`). */
  constructor(public label: string) {}

  /** Resolves with the exit reason once the process is dead. */
  get exited(): Promise<ExitReason> {
    if (this.exitedPromise) return this.exitedPromise;
    if (this.exitReason !== null) return (this.exitedPromise = Promise.resolve(this.exitReason));
    return (this.exitedPromise = new Promise((resolve) => (this.resolveExited = resolve)));
  }

  /** Binds the behaviour; messages sent before this wait in the mailbox. */
  run(body: ProcessBody): void {
    this.body = body;
    this.schedule();
  }

  get alive(): boolean {
    return this.status === 'running';
  }

  get mailboxLength(): number {
    return this.mailbox.length;
  }

  toString(): string {
    return `<0.${this.id}.0>`;
  }

  describe(): string {
    return this.name ? `'${this.name}' ${this}` : `${this.label} ${this}`;
  }

  cast(msg: unknown): void {
    this.deliver({ kind: 'cast', msg });
  }

  info(msg: unknown): void {
    this.deliver({ kind: 'info', msg });
  }

  /** `gen_server:call`: rejects with CallTimeoutError, NoProcError or CalleeExitError. */
  call<R = unknown>(msg: unknown, timeoutMs = 5000): Promise<R> {
    if (!this.alive) return Promise.reject(new NoProcError(this.describe()));
    return new Promise<R>((resolve, reject) => {
      const from: From = {
        settled: false, deadline: null,
        resolve: (value) => this.settleCall(from, () => resolve(value as R)),
        reject: (error) => this.settleCall(from, () => reject(error)),
      };
      if (timeoutMs !== Infinity) {
        from.deadline = addDeadline(timeoutMs, () => {
          from.deadline = null;
          from.reject(new CallTimeoutError(this.describe(), timeoutMs));
        });
      }
      (this.pendingCalls ??= new Set()).add(from);
      this.deliver({ kind: 'call', msg, from });
    });
  }

  /** `erlang:send_after`: an info message later; cancelled when the process dies. */
  sendAfter(ms: number, msg: unknown): NodeJS.Timeout {
    const timers = (this.timers ??= new Set());
    const timer = setTimeout(() => {
      timers.delete(timer);
      this.info(msg);
    }, ms);
    timers.add(timer);
    return timer;
  }

  cancelTimer(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.timers?.delete(timer);
  }

  link(other: Process): void {
    if (other === this) return;
    if (other.status === 'dead') {
      this.signal(other, 'noproc', true);
      return;
    }
    (this.links ??= new Set()).add(other);
    (other.links ??= new Set()).add(this);
  }

  unlink(other: Process): void {
    this.links?.delete(other);
    other.links?.delete(this);
  }

  /** Returns a ref; the watcher gets a DownMessage (at once with `noproc` if already dead). */
  monitor(target: Process): number {
    const ref = nextRef++;
    if (target.status === 'dead') this.info({ type: 'DOWN', ref, pid: target, reason: 'noproc' } satisfies DownMessage);
    else (target.monitors ??= new Map()).set(ref, this);
    return ref;
  }

  demonitor(target: Process, ref: number): void {
    target.monitors?.delete(ref);
  }

  /**
   * An exit signal from `from` (null: from outside any process), by Erlang's rules:
   * `kill` is untrappable; a trapping process gets an EXIT message; `normal` is ignored
   * unless it comes from the process itself; anything else ends the process.
   */
  signal(from: Process | null, reason: ExitReason, viaLink = false): void {
    if (this.status === 'dead') return;
    if (reason === 'kill' && !viaLink) return this.die('killed');
    if (this.trapExit) {
      // While exiting (terminate running) the message would never be read: ignore it.
      if (this.status === 'running') this.info({ type: 'EXIT', from, reason } satisfies ExitMessage);
      return;
    }
    if (reason === 'normal' && from !== this) return;
    this.die(reason);
  }

  /** Ends the process from inside: pending calls fail, `terminate` runs, then the signals go out. */
  stop(reason: ExitReason): void | Promise<void> {
    if (this.status !== 'running') return;
    this.status = 'exiting';
    // The mailbox stays readable while `terminate` runs (takeMessages), as in Erlang: what was
    // sent to a dying process can still be handed on instead of vanishing.
    this.failPendingCalls(reason);
    let cleanup: void | Promise<void> = undefined;
    try {
      cleanup = this.body?.terminate(reason);
    } catch {
      // A failing terminate does not change the outcome: the process is already going.
    }
    if (!(cleanup instanceof Promise)) return this.die(reason);
    return cleanup.then(() => this.die(reason), () => this.die(reason));
  }

  /** Final step of every exit: unregister, notify links and monitors. */
  private die(reason: ExitReason): void {
    if (this.status === 'dead') return;
    this.status = 'dead';
    this.mailbox.clear();
    this.failPendingCalls(reason);
    if (this.timers) for (const timer of this.timers) clearTimeout(timer);
    this.timers = null;
    registry.release(this);
    const linkReason: ExitReason = reason === 'kill' ? 'killed' : reason;
    const { links, monitors } = this;
    this.links = this.monitors = null;
    if (links) {
      for (const linked of links) {
        linked.links?.delete(this);
        linked.signal(this, linkReason, true);
      }
    }
    if (monitors) {
      for (const [ref, watcher] of monitors) watcher.info({ type: 'DOWN', ref, pid: this, reason: linkReason } satisfies DownMessage);
    }
    this.exitReason = linkReason;
    this.resolveExited?.(linkReason);
    this.body?.died?.(linkReason);
  }

  private failPendingCalls(reason: ExitReason): void {
    if (!this.pendingCalls || this.pendingCalls.size === 0) return;
    const error = new CalleeExitError(this.describe(), reason);
    for (const from of [...this.pendingCalls]) from.reject(error);
  }

  private settleCall(from: From, settleIt: () => void): void {
    if (from.settled) return;
    from.settled = true;
    if (from.deadline) settle(from.deadline);
    this.pendingCalls?.delete(from);
    settleIt();
  }

  /**
   * Takes the casts and infos that match out of the mailbox: a selective `receive … after 0`
   * for `terminate`, like ejabberd_c2s handing on the routes still queued when it ends.
   */
  takeMessages(match: (msg: unknown) => boolean): unknown[] {
    return this.mailbox.takeWhere((e) => e.kind !== 'call' && match(e.msg)).map((e) => e.msg);
  }

  private deliver(envelope: Envelope): void {
    if (this.status === 'dead') return; // a send to a dead process is dropped, as in Erlang
    this.mailbox.push(envelope);
    if (this.status === 'running') this.schedule();
  }

  private schedule(): void {
    if (this.draining || this.body === null || this.mailbox.length === 0) return;
    this.draining = true;
    queueMicrotask(() => void this.drain());
  }

  private async drain(): Promise<void> {
    const body = this.body as ProcessBody;
    while (this.status === 'running') {
      const envelope = this.mailbox.shift();
      if (envelope === undefined) break;
      this.handled++;
      try {
        const pending = body.handle(envelope);
        if (pending !== undefined) await pending;
      } catch (thrown) {
        this.draining = false;
        await this.stop(toReason(thrown));
        return;
      }
    }
    this.draining = false;
    if (this.status === 'running' && this.mailbox.length > 0) this.schedule();
  }
}

/** `erlang:exit(Pid, Reason)` from outside any process. */
export function exit(target: Process, reason: ExitReason, from: Process | null = null): void {
  target.signal(from, reason);
}

/** Resolves a registered name or a pid; rejects calls to unknown names with `noproc`. */
export function resolve(target: Process | string): Process | undefined {
  return typeof target === 'string' ? registry.whereis(target) : target;
}

export function call<R = unknown>(target: Process | string, msg: unknown, timeoutMs = 5000): Promise<R> {
  const pid = resolve(target);
  if (!pid) return Promise.reject(new NoProcError(`named '${String(target)}'`));
  return pid.call<R>(msg, timeoutMs);
}

/** A cast to an unknown name or a dead process is silently dropped. */
export function cast(target: Process | string, msg: unknown): void {
  resolve(target)?.cast(msg);
}
