/**
 * The gen_server behaviour: callbacks return what should happen (`reply`, `noreply`, `stop`);
 * this loop owns the mailbox, replies, deferred replies and the orderly stop.
 */
import { Process, type Envelope, type ExitMessage, type From } from './process.js';
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
    let state: S;
    let initialised = false;

    const apply = async (result: Result<S> | CallResult<S>, from?: From): Promise<void> => {
      state = result.state;
      if (from && 'value' in result) from.resolve(result.value);
      if (result.tag === 'stop') await self.stop(result.reason);
    };

    const handle = async (envelope: Envelope): Promise<void> => {
      if (!initialised) {
        try {
          state = await behaviour.init(args, self);
        } catch (error) {
          reject(error);
          throw error;
        }
        initialised = true;
        resolve(self);
        return;
      }
      switch (envelope.kind) {
        case 'call':
          if (!behaviour.handleCall) throw new Error(`unexpected call to ${self.describe()}`);
          return apply(await behaviour.handleCall(envelope.msg, envelope.from, state, self), envelope.from);
        case 'cast':
          if (!behaviour.handleCast) throw new Error(`unexpected cast to ${self.describe()}`);
          return apply(await behaviour.handleCast(envelope.msg, state, self));
        case 'info':
          return handleInfo(envelope.msg);
      }
    };

    const handleInfo = async (msg: unknown): Promise<void> => {
      if (isStopRequest(msg)) return self.stop(msg[STOP]);
      if (isFault(msg)) throw new Error(msg[FAULT]);
      const exit = msg as ExitMessage;
      if (exit?.type === 'EXIT' && exit.from !== null && exit.from === self.parent) return self.stop(exit.reason);
      if (behaviour.handleInfo) return apply(await behaviour.handleInfo(msg, state, self));
    };

    // Killed before init returned: start fails with the kill reason.
    void self.exited.then((reason) => initialised || reject(reason instanceof Error ? reason : new Error(`${self.describe()} exited during init: ${reason}`)));
    self.run({
      handle,
      terminate: (reason) => (initialised ? behaviour.terminate?.(reason, state, self) : undefined),
    });
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
