/**
 * The gen_server behaviour: callbacks return what should happen (`reply`, `noreply`, `stop`);
 * this loop owns the mailbox, replies, deferred replies and the orderly stop.
 */
import { Process, type Envelope, type ExitMessage, type From, type ProcessBody } from './process.js';
import { type ExitReason } from './exit_reason.js';
import * as registry from './registry.js';

export type Result<S> = { tag: 'noreply'; state: S } | { tag: 'stop'; reason: ExitReason; state: S };
export type CallResult<S> = Result<S> | { tag: 'reply'; value: unknown; state: S } | { tag: 'stop'; reason: ExitReason; state: S; value: unknown };

type Maybe<T> = T | Promise<T>;

/** A behaviour module, like an Erlang module implementing `-behaviour(gen_server)`. */
export interface GenServer<S, A = void> {
  init(args: A, self: Process): Maybe<S>;
  handleCall?(request: unknown, from: From, state: S, self: Process): Maybe<CallResult<S>>;
  handleCast?(msg: unknown, state: S, self: Process): Maybe<Result<S>>;
  handleInfo?(msg: unknown, state: S, self: Process): Maybe<Result<S>>;
  terminate?(reason: ExitReason, state: S, self: Process): Maybe<void>;
}

export interface StartOptions {
  /** Registered name (`{local, Name}`), taken before `init` runs, as in OTP. */
  name?: string;
  /** The parent to link to (start_link); an EXIT from it stops a trapping server with `terminate`. */
  link?: Process;
  /** Label shown for unregistered processes (e.g. `c2s`). */
  label?: string;
  trapExit?: boolean;
}

export const reply = <S>(value: unknown, state: S): CallResult<S> => ({ tag: 'reply', value, state });
export const noreply = <S>(state: S): Result<S> => ({ tag: 'noreply', state });
export const stop = <S>(reason: ExitReason, state: S): Result<S> => ({ tag: 'stop', reason, state });

/** Replies to a call whose `handleCall` returned `noreply` (`gen_server:reply/2`). */
export function replyTo(from: From, value: unknown): void {
  from.resolve(value);
}

const INIT = Symbol('init');
const STOP = Symbol('stop');
const FAULT = Symbol('fault');
interface StopRequest { [STOP]: ExitReason }
interface FaultInjection { [FAULT]: string }

/**
 * The generic loop bound to one process. A class rather than closures: an idle process
 * should cost a few hundred bytes, and synchronous callbacks are applied without a promise.
 */
class Loop<S, A> implements ProcessBody {
  private state!: S;
  private initialised = false;

  constructor(
    private readonly behaviour: GenServer<S, A>,
    private readonly args: A,
    private readonly self: Process,
    private readonly started: { resolve(pid: Process): void; reject(error: unknown): void },
  ) {}

  handle(envelope: Envelope): void | Promise<void> {
    if (!this.initialised) return this.init();
    const { behaviour, self } = this;
    switch (envelope.kind) {
      case 'call': {
        if (!behaviour.handleCall) throw new Error(`unexpected call to ${self.describe()}`);
        const { from } = envelope;
        const result = behaviour.handleCall(envelope.msg, from, this.state, self);
        return result instanceof Promise ? result.then((r) => this.apply(r, from)) : this.apply(result, from);
      }
      case 'cast': {
        if (!behaviour.handleCast) throw new Error(`unexpected cast to ${self.describe()}`);
        const result = behaviour.handleCast(envelope.msg, this.state, self);
        return result instanceof Promise ? result.then((r) => this.apply(r)) : this.apply(result);
      }
      case 'info':
        return this.info(envelope.msg);
    }
  }

  terminate(reason: ExitReason): void | Promise<void> {
    if (this.initialised) return this.behaviour.terminate?.(reason, this.state, this.self);
  }

  /** Killed before init returned: start fails with the kill reason. */
  died(reason: ExitReason): void {
    if (this.initialised) return;
    this.started.reject(reason instanceof Error ? reason : new Error(`${this.self.describe()} exited during init: ${reason}`));
  }

  private async init(): Promise<void> {
    try {
      this.state = await this.behaviour.init(this.args, this.self);
    } catch (error) {
      this.started.reject(error);
      throw error;
    }
    this.initialised = true;
    this.started.resolve(this.self);
  }

  private info(msg: unknown): void | Promise<void> {
    const { self } = this;
    if (isStopRequest(msg)) return self.stop(msg[STOP]);
    if (isFault(msg)) throw new Error(msg[FAULT]);
    const exit = msg as ExitMessage;
    if (exit?.type === 'EXIT' && exit.from !== null && exit.from === self.parent) return self.stop(exit.reason);
    if (!this.behaviour.handleInfo) return;
    const result = this.behaviour.handleInfo(msg, this.state, self);
    return result instanceof Promise ? result.then((r) => this.apply(r)) : this.apply(result);
  }

  private apply(result: Result<S> | CallResult<S>, from?: From): void | Promise<void> {
    this.state = result.state;
    if (from && 'value' in result) from.resolve(result.value);
    if (result.tag === 'stop') return this.self.stop(result.reason);
  }
}

/**
 * Starts the server and resolves once `init` has returned; a throwing `init` makes the
 * process exit with that reason and `start` reject with it.
 */
export function start<S, A>(behaviour: GenServer<S, A>, args: A, opts: StartOptions = {}): Promise<Process> {
  const self = new Process(opts.label ?? opts.name ?? 'gen_server');
  self.trapExit = opts.trapExit ?? false;
  self.info(INIT);
  if (opts.name) registry.register(opts.name, self);
  if (opts.link) {
    self.parent = opts.link;
    self.link(opts.link);
  }
  return new Promise((resolve, reject) => {
    self.run(new Loop(behaviour, args, self, { resolve, reject }));
  });
}

function isStopRequest(msg: unknown): msg is StopRequest {
  return typeof msg === 'object' && msg !== null && STOP in msg;
}

function isFault(msg: unknown): msg is FaultInjection {
  return typeof msg === 'object' && msg !== null && FAULT in msg;
}

/**
 * Fault injection (troupectl crash): the server's loop raises as if a handler had thrown,
 * so it exits with an error, `terminate` runs and its supervisor decides what happens.
 */
export function injectFault(pid: Process, why = 'injected fault'): void {
  pid.info({ [FAULT]: why } satisfies FaultInjection);
}

/** `gen_server:stop/2`: an orderly stop after the messages already queued; resolves when dead. */
export async function stopServer(pid: Process, reason: ExitReason = 'normal'): Promise<ExitReason> {
  pid.info({ [STOP]: reason } satisfies StopRequest);
  return pid.exited;
}
