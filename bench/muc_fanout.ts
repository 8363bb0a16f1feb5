/**
 * `npm run bench:muc` (issue #6): the MUC fan-out of the kit's `muc` scenario without Tsung, to
 * profile and compare Troupe before and after a change. One room, every user in it, stamped
 * groupchat messages at a fixed offered rate from random occupants; every occupant (the sender
 * too) should receive every message. Measured at the receivers: deliveries against sent ×
 * occupants, latency p50/p99 (sender's stamp to the receiver's read, one process), bytes per
 * delivered copy; at the server: CPU per message (from /proc, user + system).
 *
 * Options: --users N (200), --rate N msgs/s (50), --seconds N (12), --profile DIR (the node
 * runs with `--cpu-prof`, its profile written to DIR when it stops), --archive on|off (the room's
 * `muc#roomconfig_enablearchiving`, default on as a new room's).
 */
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import { parseArgs } from 'node:util';
import { startServer } from '../test/support/server.js';
import { BENCH_CONFIG, inBatches, quantile, rawExchange, rawLogin, rawRegister, type RawClient } from './raw_client.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '200' },
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '12' },
    profile: { type: 'string' },
    archive: { type: 'string', default: 'on' },
  },
});
const USERS = Number(values.users);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const ROOM = 'bench@conference.localhost';
const DRAIN_MS = 3000;

/** Joins as `nick` and waits for the self-presence (status 110). */
async function join(socket: net.Socket, nick: string): Promise<void> {
  const reply = await rawExchange(socket, `<presence to='${ROOM}/${nick}'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, (b) => /code=["']110["']|type=["']error["']/.test(b));
  if (!/code=["']110["']/.test(reply)) throw new Error(`join ${nick}: ${reply}`);
}

/** The first occupant creates the room and submits its configuration (a new room is locked until then). */
async function createRoom(socket: net.Socket): Promise<void> {
  await join(socket, 'u0');
  const archiving = values.archive === 'on' ? '1' : '0';
  const form = "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>" +
    `<field var='muc#roomconfig_maxusers'><value>${USERS + 10}</value></field><field var='muc#roomconfig_enablearchiving'><value>${archiving}</value></field></x>`;
  const reply = await rawExchange(socket, `<iq type='set' id='cfg' to='${ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'>${form}</query></iq>`, (b) => /id=["']cfg["']/.test(b));
  if (!/type=["']result["']/.test(reply)) throw new Error(`configure: ${reply}`);
}

/** Logged in (the kit's login: its latency collector on) and in the room; `u0` creates it. */
async function occupant(port: number, i: number): Promise<RawClient> {
  const client = await rawLogin(port, 'localhost', `u${i}`, `pw-u${i}`);
  if (i === 0) await createRoom(client.socket);
  else await join(client.socket, `u${i}`);
  return client;
}

/** The first stamped groupchat copy `socket` reads, as it came on the wire. */
function sampleCopy(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      const m = /<message[^>]*>(?:(?!<\/message>)[\s\S])*<body>t[\s\S]*?<\/message>/.exec(buf);
      if (!m) return;
      socket.off('data', onData);
      resolve(m[0]);
    };
    socket.on('data', onData);
  });
}

/** The node's CPU time so far, user and system, in ms. */
function cpuMs(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 }; // utime, stime in clock ticks (USER_HZ 100)
}

/** Offers RATE msgs/s for SECONDS, each from a random occupant; resolves with the number sent. */
function load(occupants: RawClient[]): Promise<number> {
  const started = performance.now();
  let sent = 0;
  return new Promise((resolve) => {
    const tick = setInterval(() => {
      const elapsed = performance.now() - started;
      for (const due = Math.min(RATE * SECONDS, Math.floor((elapsed / 1000) * RATE)); sent < due; sent++) {
        const from = occupants[Math.floor(Math.random() * occupants.length)]!;
        from.socket.write(`<message to='${ROOM}' type='groupchat' id='m${sent}'><body>t${performance.now().toFixed(3)}</body></message>`);
      }
      if (elapsed >= SECONDS * 1000) {
        clearInterval(tick);
        resolve(sent);
      }
    }, 5);
  });
}

async function main(): Promise<void> {
  const server = await startServer({
    ...BENCH_CONFIG,
    modules: { mod_muc: { max_users: 1000 } },
    ...(values.profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] } : {}),
  });
  try {
    const port = server.ports.c2s;
    await inBatches(USERS, 50, (i) => rawRegister(port, 'localhost', `u${i}`, `pw-u${i}`));
    const [first] = await inBatches(1, 1, (i) => occupant(port, i));
    const occupants = [first!, ...(await inBatches(USERS - 1, 20, (i) => occupant(port, i + 1)))];
    await new Promise((r) => setTimeout(r, 1000)); // the join presences settle
    const sample = sampleCopy(occupants[1]!.socket);
    const pid = server.process.pid!;
    const bytesBefore = occupants.reduce((n, o) => n + o.socket.bytesRead, 0);
    const cpuBefore = cpuMs(pid);
    const sent = await load(occupants);
    await new Promise((r) => setTimeout(r, DRAIN_MS));
    const cpuAfter = cpuMs(pid);
    const user = cpuAfter.user - cpuBefore.user;
    const cpu = user + cpuAfter.system - cpuBefore.system;
    const bytes = occupants.reduce((n, o) => n + o.socket.bytesRead, 0) - bytesBefore;
    const all = occupants.flatMap((o) => o.latencies).sort((a, b) => a - b);
    console.log(`\n${new Date().toISOString()}: one room of ${USERS} occupants, ${RATE} groupchat msgs/s offered for ${SECONDS} s, archive ${values.archive}\n`);
    console.log('| sent | delivered (% of sent × occupants) | latency p50 / p99 / max ms | bytes per copy | server CPU ms per message (user) | server CPU % |');
    console.log('|--:|--:|--:|--:|--:|--:|');
    console.log(
      `| ${sent} | ${all.length} (${((100 * all.length) / (sent * USERS)).toFixed(1)} %) | ${quantile(all, 0.5).toFixed(1)} / ${quantile(all, 0.99).toFixed(1)} / ${(all.at(-1) ?? NaN).toFixed(1)} | ` +
        `${(bytes / all.length).toFixed(0)} | ${(cpu / sent).toFixed(2)} (${(user / sent).toFixed(2)}) | ${((100 * cpu) / (SECONDS * 1000 + DRAIN_MS)).toFixed(1)} |`,
    );
    console.log(`\none copy (${Buffer.byteLength(await sample)} bytes):\n${await sample}`);
    for (const o of occupants) o.socket.destroy();
  } finally {
    await server.stop();
  }
}

// The test support unrefs the node it starts (a test's runner keeps the loop alive); here a timer does.
const keepAlive = setInterval(() => undefined, 1000);
await main().finally(() => clearInterval(keepAlive));
