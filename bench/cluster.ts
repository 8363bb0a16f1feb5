/**
 * `npm run bench:cluster` (issue #9): the chat load of the kit's chat scenario (users in pairs
 * of random partners, one-to-one `chat` messages at a fixed offered rate) against one node
 * alone and against a two-node cluster (Redis + PostgreSQL, throwaway instances), measured at
 * the receivers. In the cluster, users are spread over both nodes and the run is made twice:
 * every message between users of the same node, then every message crossing to the other node,
 * so the difference is the cost of the hop through Redis. The clients are raw sockets (PLAIN,
 * no TLS, as the kit's Tsung runs): Tsung's config names one server, and a cluster needs two.
 *
 * Options: --users N (default 200), --rate N msgs/s (1000), --seconds N (10).
 */
import { parseArgs } from 'node:util';
import { startServer, type TestServer } from '../test/support/server.js';
import { startRedis } from '../test/support/redis.js';
import { startPostgres } from '../test/support/postgres.js';
import { BENCH_CONFIG, inBatches, offerChat, rawLogin, rawRegister, type ChatResult, type RawClient } from './raw_client.js';

const { values } = parseArgs({ options: { users: { type: 'string', default: '200' }, rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '10' } } });
const USERS = Number(values.users);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);

/** Offers RATE msgs/s for SECONDS from random senders to `partner(sender)`. */
const chat = (clients: RawClient[], partner: (i: number) => number): Promise<ChatResult> => offerChat(clients, RATE, SECONDS, (i) => `u${partner(i)}@localhost`);

/** A random user whose index has parity `parity`: users alternate nodes, so all of them are on one node. */
const userWithParity = (parity: number): number => 2 * Math.floor(Math.random() * (USERS / 2)) + parity;

async function users(nodes: TestServer[]): Promise<RawClient[]> {
  await inBatches(USERS, 50, (i) => rawRegister(nodes[0]!.ports.c2s, 'localhost', `u${i}`, `pw-u${i}`));
  const clients = await inBatches(USERS, 50, (i) => rawLogin(nodes[i % nodes.length]!.ports.c2s, 'localhost', `u${i}`, `pw-u${i}`));
  await new Promise((r) => setTimeout(r, 1000));
  return clients;
}

const row = (name: string, r: ChatResult): string =>
  `| ${name} | ${r.sent} | ${r.received} (${((100 * r.received) / r.sent).toFixed(1)} %) | ${(r.received / SECONDS).toFixed(0)} | ${r.p50.toFixed(1)} / ${r.p99.toFixed(1)} |`;

async function main(): Promise<void> {
  const rows: string[] = [];
  const alone = await startServer(BENCH_CONFIG);
  try {
    const clients = await users([alone]);
    rows.push(row('one node alone (LevelDB)', await chat(clients, () => Math.floor(Math.random() * USERS))));
    for (const c of clients) c.socket.destroy();
  } finally {
    await alone.stop();
  }

  const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  const url = await postgres.createDatabase('troupe');
  const node = (name: string) => startServer({ ...BENCH_CONFIG, storage: 'postgres', postgres_url: url, cluster: { redis_url: redis.url, node_name: name } });
  const nodes = await Promise.all([node('n1'), node('n2')]);
  try {
    const clients = await users(nodes);
    // Users alternate nodes: u0 on n1, u1 on n2, … A same-parity partner is on the sender's node.
    rows.push(row('cluster, sender and recipient on one node', await chat(clients, (i) => userWithParity(i % 2))));
    rows.push(row('cluster, every message to the other node', await chat(clients, (i) => userWithParity((i + 1) % 2))));
    for (const c of clients) c.socket.destroy();
  } finally {
    for (const n of nodes) await n.stop();
    await redis.stop();
    await postgres.stop();
  }
  console.log(`\n${new Date().toISOString()}: ${USERS} users, ${RATE} msgs/s offered for ${SECONDS} s\n`);
  console.log('| setup | sent | received | delivered/s | latency p50 / p99 ms |\n|---|--:|--:|--:|--:|');
  for (const r of rows) console.log(r);
}

// The test support unrefs the nodes it starts (a test's runner keeps the loop alive); here a timer does.
const keepAlive = setInterval(() => undefined, 1000);
await main().finally(() => clearInterval(keepAlive));
