/**
 * Raw-socket XMPP clients for the drivers that Tsung cannot run (two servers at once, CPU per
 * operation): PLAIN without TLS, the stanzas of the kit's strict login (stream, SASL, restart,
 * bind, session, roster get, initial presence), and one-to-one chat whose bodies carry their send
 * time, so the receiver measures the latency.
 */
import net from 'node:net';

/** A logged-in client; `latencies` collects the age of every message it receives. */
export interface RawClient {
  socket: net.Socket;
  latencies: number[];
}

export interface ChatResult {
  sent: number;
  received: number;
  p50: number;
  p99: number;
}

const streamOpen = (domain: string): string =>
  `<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;

/** Reads until `done(buffer)` holds, then resolves with the buffer. */
function until(socket: net.Socket, done: (buf: string) => boolean): Promise<string> {
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

function exchange(socket: net.Socket, out: string, done: (buf: string) => boolean): Promise<string> {
  const reply = until(socket, done);
  socket.write(out);
  return reply;
}

const answered = (id: string) => (b: string): boolean => new RegExp(`id=["']${id}["']`).test(b);

async function connect(port: number, domain: string): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  await exchange(socket, streamOpen(domain), (b) => b.includes('</stream:features>'));
  return socket;
}

/** XEP-0077 in-band registration. */
export async function rawRegister(port: number, domain: string, user: string, password: string): Promise<void> {
  const socket = await connect(port, domain);
  const reply = await exchange(socket, `<iq type='set' id='r'><query xmlns='jabber:iq:register'><username>${user}</username><password>${password}</password></query></iq>`, answered('r'));
  socket.destroy();
  if (!/type=["']result["']/.test(reply)) throw new Error(`registering ${user}: ${reply}`);
}

/** The kit's login: SASL PLAIN, restart, bind, session, roster get, then initial presence. */
export async function rawLogin(port: number, domain: string, user: string, password: string): Promise<RawClient> {
  const socket = await connect(port, domain);
  const auth = Buffer.from(`\0${user}\0${password}`).toString('base64');
  const sasl = await exchange(socket, `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${auth}</auth>`, (b) => /<success|<failure/.test(b));
  if (!sasl.includes('<success')) throw new Error(`login ${user}: ${sasl}`);
  await exchange(socket, streamOpen(domain), (b) => b.includes('</stream:features>'));
  await exchange(socket, "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>bench</resource></bind></iq>", answered('b'));
  await exchange(socket, "<iq type='set' id='s'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>", answered('s'));
  await exchange(socket, "<iq type='get' id='g'><query xmlns='jabber:iq:roster'/></iq>", answered('g'));
  socket.write('<presence/>');
  const client: RawClient = { socket, latencies: [] };
  let buf = '';
  socket.on('data', (d: Buffer) => {
    buf += d.toString();
    for (const m of buf.matchAll(/<body>t(\d+\.\d+)<\/body>/g)) client.latencies.push(performance.now() - Number(m[1]));
    const end = buf.lastIndexOf('</message>');
    if (end >= 0) buf = buf.slice(end + 10);
  });
  return client;
}

/** `count` calls of `fn`, `size` at a time. */
export async function inBatches<T>(count: number, size: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += size) out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - i) }, (_, j) => fn(i + j)))));
  return out;
}

/**
 * Offers `rate` msgs/s for `seconds` from random senders to `to(sender)` (a bare JID), then
 * waits 3 s for stragglers.
 */
export async function offerChat(clients: RawClient[], rate: number, seconds: number, to: (sender: number) => string): Promise<ChatResult> {
  for (const c of clients) c.latencies.length = 0;
  const started = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = performance.now() - started;
      for (const due = Math.min(rate * seconds, Math.floor((elapsed / 1000) * rate)); sent < due; sent++) {
        const from = Math.floor(Math.random() * clients.length);
        clients[from]!.socket.write(`<message to='${to(from)}' type='chat'><body>t${performance.now().toFixed(3)}</body></message>`);
      }
      if (elapsed >= seconds * 1000) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  await new Promise((r) => setTimeout(r, 3000));
  const all = clients.flatMap((c) => c.latencies).sort((a, b) => a - b);
  return { sent, received: all.length, p50: quantile(all, 0.5), p99: quantile(all, 0.99) };
}

/** A node as the kit runs it: PLAIN without TLS, plain password storage, open registration, no shaper. */
export const BENCH_CONFIG = {
  listen: { c2s: { starttls: 'optional', allow_plain_auth_without_tls: true }, c2s_tls: false, http: false },
  auth: { password_format: 'plain' },
  registration: 'open',
  limits: { c2s_shaper: 'none', max_connections_per_ip: 0 },
};

/** Writes `out` and resolves with what was read once `done(read)` holds (a join, a form): for drivers beyond login and chat. */
export const rawExchange = exchange;

/** The q-quantile of sorted values. */
export const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN;
