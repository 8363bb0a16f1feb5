/**
 * Exit reasons, after Erlang: `normal` and `shutdown` are orderly; `kill` is the untrappable
 * signal (the victim exits with `killed`); anything else is an error.
 */
export type ExitReason = 'normal' | 'shutdown' | 'kill' | 'killed' | 'noproc' | Error;

/** `normal` and `shutdown` are not failures: transient children are not restarted for them. */
export function isOrderly(reason: ExitReason): boolean {
  return reason === 'normal' || reason === 'shutdown';
}

export function formatReason(reason: ExitReason): string {
  return typeof reason === 'string' ? reason : `${reason.name}: ${reason.message}`;
}

/** Whatever a handler threw, as an exit reason. */
export function toReason(thrown: unknown): ExitReason {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown));
}

/** A call's target is not alive (or the name is not registered), like `exit({noproc, …})`. */
export class NoProcError extends Error {
  override name = 'NoProcError';
  constructor(target: string) {
    super(`noproc: no process ${target}`);
  }
}

/** `gen_server:call` exited with `timeout`. */
export class CallTimeoutError extends Error {
  override name = 'CallTimeoutError';
  constructor(target: string, ms: number) {
    super(`timeout: call to ${target} got no reply within ${ms} ms`);
  }
}

/** The callee exited while the call was pending. */
export class CalleeExitError extends Error {
  override name = 'CalleeExitError';
  constructor(target: string, readonly reason: ExitReason) {
    super(`exit: ${target} exited (${formatReason(reason)}) before replying`);
  }
}
