/**
 * The HTTP listener's route table, like ejabberd_http's `request_handlers`: exact paths mapped
 * to handlers, plus upgrade routes that take the socket over (WebSocket, RFC 7395, mounts at
 * `/ws`). Each route says whether it is public or for observers only (access.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** `public`: anyone who reaches the port; `observer`: loopback or the observer token. */
export type Access = 'public' | 'observer';

export interface HttpRoute {
  method: 'GET' | 'POST' | 'PUT';
  /** The exact path, or with `prefix` every path under it (`/upload/` for file upload slots). */
  path: string;
  prefix?: boolean;
  access: Access;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void | Promise<void>;
}

export interface UpgradeRoute {
  path: string;
  access: Access;
  /** Owns `socket` from now on (answers the handshake or destroys it). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void | Promise<void>;
}

export type Match = { route: HttpRoute } | { status: 404 } | { status: 405; allow: string };

export class RouteTable {
  constructor(
    private readonly routes: readonly HttpRoute[],
    private readonly upgrades: readonly UpgradeRoute[] = [],
  ) {}

  /** The route for `method path`; 404 for an unknown path, 405 (with Allow) for a known path and another method. */
  match(method: string | undefined, path: string): Match {
    const onPath = this.routes.filter((r) => (r.prefix ? path.startsWith(r.path) : r.path === path));
    if (onPath.length === 0) return { status: 404 };
    const wanted = method === 'HEAD' ? 'GET' : method;
    const route = onPath.find((r) => r.method === wanted);
    return route ? { route } : { status: 405, allow: onPath.map((r) => r.method).join(', ') };
  }

  matchUpgrade(path: string): UpgradeRoute | undefined {
    return this.upgrades.find((u) => u.path === path);
  }
}

export function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendText(res, status, `${JSON.stringify(value)}\n`, { 'Content-Type': 'application/json' });
}

/** The request body as text; rejects past `limit` bytes (the rest is drained, so a 413 can still be sent). */
export function readBody(req: IncomingMessage, limit = 4096): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limit) reject(new RangeError(`body larger than ${limit} bytes`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

/** A crash target from a POST body: `router`, `<0.42.0>`, or JSON `{"target": …}` (`name`/`pid` too). */
export function crashTarget(body: string): string | null {
  const text = body.trim();
  if (!text.startsWith('{')) return text === '' ? null : text;
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    const target = json.target ?? json.name ?? json.pid;
    return typeof target === 'string' && target.trim() !== '' ? target.trim() : null;
  } catch {
    return null;
  }
}
