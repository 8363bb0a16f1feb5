/**
 * Test clients: @xmpp/client for conversations, a raw socket for hostile input.
 * The server's certificate is self-signed, so TLS verification is off in tests only.
 */
import net from 'node:net';
import tls from 'node:tls';
import { client, xml, type Client } from '@xmpp/client';
import type { Element } from 'ltx';
import { ScramSha256 } from './scram_sha256_client.js';

process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

export { xml };

export interface ClientOptions {
  port: number;
  username: string;
  password: string;
  resource?: string;
  domain?: string;
  /** `xmpp://` negotiates STARTTLS; `xmpps://` is direct TLS. */
  scheme?: 'xmpp' | 'xmpps';
  mechanism?: 'SCRAM-SHA-256' | 'SCRAM-SHA-1' | 'PLAIN';
  /** A full service URL instead of `scheme://127.0.0.1:port` (e.g. `ws://…/ws`). */
  service?: string;
  /** Reconnect (and resume, XEP-0198) after a dropped connection; off by default so a test's end is its end. */
  reconnect?: boolean;
}

export interface TestClient {
  xmpp: Client;
  /** Every stanza received, in order. */
  received: Element[];
  /** Resolves with the next received stanza that matches. */
  next(match: (el: Element) => boolean, timeoutMs?: number): Promise<Element>;
  stop(): Promise<void>;
}

export async function connect(o: ClientOptions): Promise<TestClient> {
  const xmpp = client({
    service: o.service ?? `${o.scheme ?? 'xmpp'}://127.0.0.1:${o.port}`,
    domain: o.domain ?? 'localhost',
    resource: o.resource,
    credentials: (authenticate: (c: object, m: string) => Promise<void>, mechanisms: string[]) => {
      const mechanism = o.mechanism ?? 'SCRAM-SHA-256';
      if (!mechanisms.includes(mechanism)) throw new Error(`${mechanism} not offered: ${mechanisms.join(' ')}`);
      return authenticate({ username: o.username, password: o.password }, mechanism);
    },
  } as Parameters<typeof client>[0]);
  (xmpp as unknown as { saslFactory: { use(m: unknown): void } }).saslFactory.use(ScramSha256);
  const reconnect = (xmpp as unknown as { reconnect: { stop(): void } }).reconnect;
  if (!o.reconnect) reconnect.stop();
  xmpp.on('error', () => undefined); // failures surface through start() and next()
  const received: Element[] = [];
  const waiters: { match: (el: Element) => boolean; resolve: (el: Element) => void }[] = [];
  xmpp.on('stanza', (el: Element) => {
    received.push(el);
    const i = waiters.findIndex((w) => w.match(el));
    if (i >= 0) waiters.splice(i, 1)[0]?.resolve(el);
  });
  await xmpp.start();
  return {
    xmpp,
    received,
    next(match, timeoutMs = 5000) {
      const seen = received.find(match);
      if (seen) {
        received.splice(received.indexOf(seen), 1);
        return Promise.resolve(seen);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no matching stanza received; last: ' + received.slice(-5).map(String).join('\n'))), timeoutMs);
        waiters.push({
          match,
          resolve: (el) => {
            clearTimeout(timer);
            received.splice(received.indexOf(el), 1);
            resolve(el);
          },
        });
      });
    },
    async stop() {
      reconnect.stop();
      await xmpp.stop().catch(() => undefined);
    },
  };
}

/** A raw connection: write anything, read what comes back until the server closes. */
export interface RawClient {
  write(data: string | Buffer): void;
  /** Everything received so far. */
  text(): string;
  /** Resolves when the received text satisfies `until` (or the socket closes). */
  read(until: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  closed: Promise<void>;
  end(): void;
}

export function raw(port: number, secure = true): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket: net.Socket = secure
      ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => resolve(wrap(socket)))
      : net.connect({ port, host: '127.0.0.1' }, () => resolve(wrap(socket)));
    socket.once('error', reject);
  });
}

function wrap(socket: net.Socket): RawClient {
  let buffer = '';
  const listeners = new Set<() => void>();
  let isClosed = false;
  socket.on('data', (d: Buffer) => {
    buffer += d.toString('utf8');
    for (const l of listeners) l();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) =>
    socket.on('close', () => {
      isClosed = true;
      for (const l of listeners) l();
      resolve();
    }),
  );
  return {
    write: (data) => void socket.write(data),
    text: () => buffer,
    read(until, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (until(buffer) || isClosed) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(buffer);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out; received: ${buffer.slice(-500)}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    closed,
    end: () => socket.destroy(),
  };
}

export const streamOpen = (domain = 'localhost'): string =>
  `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${domain}' version='1.0'>`;

/** Opens a stream and logs in with PLAIN and binds `resource`: a raw but authenticated session. */
export async function rawSession(port: number, user: string, password: string, resource = 'raw'): Promise<RawClient> {
  const c = await raw(port);
  c.write(streamOpen());
  await c.read((t) => t.includes('</stream:features>'));
  const payload = Buffer.from(`\0${user}\0${password}`).toString('base64');
  c.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${payload}</auth>`);
  await c.read((t) => t.includes('<success'));
  c.write(streamOpen());
  await c.read((t) => (t.match(/<\/stream:features>/g) ?? []).length >= 2);
  c.write(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
  await c.read((t) => t.includes("id='bind1'") || t.includes('id="bind1"'));
  return c;
}
