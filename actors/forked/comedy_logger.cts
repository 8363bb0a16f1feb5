/**
 * comedy's logs into pino (ARCHITECTURE §7). comedy instantiates its logger from a module path,
 * in the parent and again in each forked process, so this is CommonJS (`comedy_logger.cjs`).
 * In the parent `setSink` hands it our root logger's child; in a forked process, which has no
 * sink, it makes a pino logger at the parent's level (on the inherited stdout).
 * comedy's `info` is its own lifecycle chatter (our supervisor reports starts and exits), so it
 * goes to pino's `debug`; its `debug` (one line per message sent) to `trace`.
 */
import { format } from 'node:util';
import type { Logger } from 'pino';

interface Params {
  level?: string;
  bindings?: Record<string, unknown>;
}

let sink: Logger | null = null;

class ComedyLogger {
  private readonly out: Logger;

  constructor(params: Params = {}) {
    const bindings = { actor: 'comedy', ...params.bindings };
    if (sink) this.out = sink.child(bindings);
    else {
      const { pino } = require('pino') as typeof import('pino');
      this.out = pino({ level: params.level ?? 'info' }).child(bindings);
    }
  }

  /** Where comedy's parent-side logs go; set once, before the first actor system is made. */
  static setSink(logger: Logger): void {
    sink = logger;
  }

  error(...args: unknown[]): void {
    this.out.error(format(...args));
  }

  warn(...args: unknown[]): void {
    this.out.warn(format(...args));
  }

  info(...args: unknown[]): void {
    this.out.debug(format(...args));
  }

  debug(...args: unknown[]): void {
    this.out.trace(format(...args));
  }
}

export = ComedyLogger;
