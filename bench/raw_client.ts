/**
 * Raw XMPP clients for the load drivers (`bench/cluster.ts`, `bench/muc_fanout.ts`): plain
 * sockets, in-band registration, SASL PLAIN without TLS (the bench listeners allow it, as the
 * kit's Tsung runs), bind. No XML parser: the drivers match what they wait for in the text.
 */
import net from 'node:net';

/** A node as the kit runs it: PLAIN without TLS, plain password storage, open registration, no shaper. */
export const BENCH_CONFIG = {
  listen: { c2s: { starttls: 'optional', allow_plain_auth_without_tls: true }, c2s_tls: false, http: false },
  auth: { password_format: 'plain' },
  registration: 'open',
  limits: { c2s_shaper: 'none', max_connections_per_ip: 0 },
};

const streamOpen = (domain: string): string =>
  `<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;

/** Reads until `done(buffer)` holds, then resolves with the buffer. */
export function until(socket: net.Socket, done: (buf: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      if (!done(buf)) return;
      socket.off('data', onData);
      resolve(buf);
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

export async function exchange(socket: net.Socket, out: string, done: (buf: string) => boolean): Promise<string> {
  const reply = until(socket, done);
  socket.write(out);
  return reply;
}

async function connect(port: number, domain: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  await exchange(socket, streamOpen(domain), (b) => b.includes('</stream:features>'));
  return socket;
}

/** XEP-0077 registration of `user` with password `pw-<user>`. */
export async function register(port: number, domain: string, user: string): Promise<void> {
  const socket = await connect(port, domain);
  const reply = await exchange(socket, `<iq type='set' id='r'><query xmlns='jabber:iq:register'><username>${user}</username><password>pw-${user}</password></query></iq>`, (b) => /id=["']r["']/.test(b));
  socket.destroy();
  if (!/type=["']result["']/.test(reply)) throw new Error(`registering ${user}: ${reply}`);
}

/** Logged in and bound as `user@domain/bench` (no presence sent yet). */
export async function login(port: number, domain: string, user: string): Promise<net.Socket> {
  const socket = await connect(port, domain);
  const auth = Buffer.from(`\0${user}\0pw-${user}`).toString('base64');
  const sasl = await exchange(socket, `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${auth}</auth>`, (b) => /<success|<failure/.test(b));
  if (!sasl.includes('<success')) throw new Error(`login ${user}: ${sasl}`);
  await exchange(socket, streamOpen(domain), (b) => b.includes('</stream:features>'));
  await exchange(socket, "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>bench</resource></bind></iq>", (b) => b.includes('</iq>'));
  return socket;
}

/** A stamped body: the sender's `performance.now()`, which the receiver (same process) subtracts. */
export const stampedBody = (): string => `<body>t${performance.now().toFixed(3)}</body>`;

/** From now on, pushes the age (ms) of every stamped message the socket receives. */
export function collectLatencies(socket: net.Socket, latencies: number[]): void {
  let buf = '';
  socket.on('data', (d: Buffer) => {
    buf += d.toString();
    for (const m of buf.matchAll(/<body>t(\d+\.\d+)<\/body>/g)) latencies.push(performance.now() - Number(m[1]));
    const end = buf.lastIndexOf('</message>');
    if (end >= 0) buf = buf.slice(end + 10);
  });
}

/** Runs `batch` over 0..n-1, `width` at a time (a login storm of hundreds would only time out). */
export async function inBatches<T>(n: number, width: number, batch: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += width) out.push(...(await Promise.all(Array.from({ length: Math.min(width, n - i) }, (_, j) => batch(i + j)))));
  return out;
}

/** The q-quantile of sorted values. */
export const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN;
