/** Server-sent events (HTML Living Standard §9.2): the observer's live feed. */
import type { ServerResponse } from 'node:http';

/** Starts an event stream; `retryMs` is how soon a browser reconnects after the node restarts. */
export function openEventStream(res: ServerResponse, retryMs = 1000): void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write(`retry: ${retryMs}\n\n`);
}

/** One event: a name and a JSON payload (JSON has no raw newline, so one `data:` line). */
export function eventFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
