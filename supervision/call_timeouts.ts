/**
 * Deadlines of pending calls. Calls with the same timeout expire in the order they were made,
 * so one FIFO and one timer per distinct timeout value replace a setTimeout per call.
 */
import { Queue } from './queue.js';

export interface Deadline {
  readonly at: number;
  readonly lane: Lane;
  settled: boolean;
  readonly expire: () => void;
}

class Lane {
  readonly queue = new Queue<Deadline>();
  timer: NodeJS.Timeout | null = null;
  constructor(readonly ms: number) {}
}

const lanes = new Map<number, Lane>();

export function addDeadline(ms: number, expire: () => void): Deadline {
  let lane = lanes.get(ms);
  if (!lane) {
    lane = new Lane(ms);
    lanes.set(ms, lane);
  }
  const deadline: Deadline = { at: Date.now() + ms, lane, settled: false, expire };
  lane.queue.push(deadline);
  if (!lane.timer) arm(lane, ms);
  return deadline;
}

/** The call got its answer: drop settled deadlines from the lane's head so it stays short. */
export function settle(deadline: Deadline): void {
  deadline.settled = true;
  const queue = deadline.lane.queue;
  while (queue.length > 0 && (queue.peek() as Deadline).settled) queue.shift();
}

function arm(lane: Lane, delay: number): void {
  lane.timer = setTimeout(() => sweep(lane), Math.max(0, delay));
  lane.timer.unref();
}

function sweep(lane: Lane): void {
  lane.timer = null;
  const now = Date.now();
  const queue = lane.queue;
  for (;;) {
    const head = queue.peek();
    if (head === undefined) {
      lanes.delete(lane.ms);
      return;
    }
    if (!head.settled && head.at > now) {
      arm(lane, head.at - now);
      return;
    }
    queue.shift();
    if (!head.settled) {
      head.settled = true;
      head.expire();
    }
  }
}
