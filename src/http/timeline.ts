/**
 * The observer's timeline: the last supervision events that tell a story (exits with an error,
 * restarts, escalations), not the routine start and orderly exit of every connection.
 */

/** A supervision event (supervision/events.ts), as far as the timeline reads it; src/ does not import supervision/. */
export interface TimelineEvent {
  type: string;
  supervisor: string;
  child: string;
  pid: string;
  reason?: string;
  restarts: number;
  at: number;
}

export const TIMELINE_LENGTH = 50;

const ORDERLY = new Set(['normal', 'shutdown']);

/** A restart, an escalation, or an exit that was not orderly. */
export function isNoteworthy(event: TimelineEvent): boolean {
  if (event.type === 'restart' || event.type === 'escalate') return true;
  return event.type === 'exit' && event.reason !== undefined && !ORDERLY.has(event.reason);
}

/** Appends, keeping the newest `TIMELINE_LENGTH`. */
export function appendEvent(timeline: TimelineEvent[], event: TimelineEvent): TimelineEvent[] {
  const next = [...timeline, event];
  return next.length > TIMELINE_LENGTH ? next.slice(next.length - TIMELINE_LENGTH) : next;
}
