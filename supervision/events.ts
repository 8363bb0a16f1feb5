/**
 * The supervision event feed: every start, exit, restart and escalation as a structured event,
 * logged with pino and published in-process for the observer page.
 */
import { EventEmitter } from 'node:events';
import { log } from '../src/log.js';
import { formatReason, type ExitReason } from './exit_reason.js';

export type SupervisorEventType = 'start' | 'exit' | 'restart' | 'escalate';

export interface SupervisorEvent {
  type: SupervisorEventType;
  supervisor: string;
  child: string;
  pid: string;
  reason?: string;
  restarts: number;
  at: number;
}

export const feed = new EventEmitter();
feed.setMaxListeners(0);

const supLog = log.child({ component: 'supervisor' });

/** `expected`: an exit the supervisor asked for (shutdown, or killed by brutal_kill). */
export function report(
  type: SupervisorEventType, supervisor: string, child: string, pid: string, restarts: number, reason?: ExitReason,
  expected = false,
): void {
  // Orderly events are progress reports (debug, as OTP's are off by default); failures are errors.
  const failure = type === 'escalate' || (!expected && reason !== undefined && reason !== 'normal' && reason !== 'shutdown');
  const wanted = failure || type === 'restart' || feed.listenerCount('event') > 0 || supLog.isLevelEnabled('debug');
  if (!wanted) return; // the common case of a connection ending: nothing to build
  const event: SupervisorEvent = { type, supervisor, child, pid, restarts, at: Date.now() };
  if (reason !== undefined) event.reason = formatReason(reason);
  if (failure) supLog.error(event, `${child} ${type}`);
  else if (type === 'restart') supLog.info(event, `${child} restarted`);
  else if (supLog.isLevelEnabled('debug')) supLog.debug(event, `${child} ${type}`);
  if (feed.listenerCount('event') > 0) feed.emit('event', event);
}
