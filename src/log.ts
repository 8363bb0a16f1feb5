// The root logger (ARCHITECTURE.md §8): JSON lines on stdout, pretty when stdout is a terminal.
// Level from $TROUPE_LOGLEVEL (tests: `silent`), then `loglevel` in troupe.yml via setLogLevel.
import { pino } from 'pino';
import pretty from 'pino-pretty';

const level = process.env.TROUPE_LOGLEVEL || 'info';

/** The root logger; prefer {@link childLog} with bindings naming the actor or connection. */
export const log: pino.Logger = process.stdout.isTTY
  ? pino({ level }, pretty({ sync: true })) // in-process: no worker thread, nothing lost on exit
  : pino({ level });

/** Changes the level of the root logger and of every child (children follow their parent). */
export function setLogLevel(level: pino.LevelWithSilent): void {
  log.level = level;
}

/** A child logger whose lines all carry `bindings`, e.g. `{ actor: 'c2s', conn: 12 }`. */
export function childLog(bindings: pino.Bindings): pino.Logger {
  return log.child(bindings);
}
