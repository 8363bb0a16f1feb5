/**
 * Round-trip cost of `placement: forked` (`npm run bench:placement`, `-- --n 10000`): the same
 * jabber:iq:version handler (mod_version's) behind a gen_server call, as gen_mod's one_queue
 * runs it, once in process and once forwarded by a proxy to its comedy forked process
 * (encode, IPC, decode, back; the proxy pipelines, as forked_module.ts does). Sequential calls
 * give the latency, 64 callers the throughput.
 */
import { fileURLToPath } from 'node:url';
import { parse } from 'ltx';
import { noreply, reply, replyTo, start, stopServer, type GenServer } from '../supervision/gen_server.js';
import { parseJid } from '../src/jid.js';
import { NS_VERSION } from '../src/xml/ns.js';
import type { ModuleContext } from '../actors/gen_mod.js';
import type { Iq, IqAnswer, IqHandler } from '../actors/iq_handler.js';
import { modVersion } from '../actors/modules/mod_version.js';
import { forkActor } from '../actors/placement.js';
import { decodeAnswer, encodeIq, type WireAnswer } from '../actors/forked/wire.js';

const argAt = process.argv.indexOf('--n');
const N = argAt > 0 ? Number(process.argv[argAt + 1]) : 10_000;
const CALLERS = 64;
const ACTOR = fileURLToPath(new URL('../actors/forked/module_actor.cjs', import.meta.url));

/** A local module's mailbox: one IQ at a time through the handler, as gen_mod's one_queue. */
const moduleMailbox: GenServer<IqHandler, IqHandler> = {
  init: (handler) => handler,
  async handleCall(iq, _from, handler) {
    return reply(await handler(iq as Iq), handler);
  },
};

/** The proxy's mailbox (forked_module.ts): the round trip runs outside it, so IQs are pipelined. */
const proxyMailbox: GenServer<IqHandler, IqHandler> = {
  init: (handler) => handler,
  handleCall(iq, from, handler) {
    void Promise.resolve(handler(iq as Iq)).then((answer) => replyTo(from, answer), (error: Error) => from.reject(error));
    return noreply(handler);
  },
};

function versionIq(i: number): Iq {
  const stanza = parse(`<iq type='get' id='b${i}' from='alice@localhost/bench' to='localhost'><query xmlns='${NS_VERSION}'/></iq>`);
  return { from: parseJid('alice@localhost/bench'), to: parseJid('localhost'), type: 'get', payload: stanza.getChildElements()[0]!, stanza };
}

/** µs per IQ with `callers` concurrent callers, after a warm-up. */
async function measure(mailbox: GenServer<IqHandler, IqHandler>, handler: IqHandler, callers: number): Promise<number> {
  const pid = await start(mailbox, handler);
  const iqs = Array.from({ length: 100 }, (_, i) => versionIq(i));
  const run = async (n: number): Promise<void> => {
    await Promise.all(Array.from({ length: callers }, async (_, c) => {
      for (let i = c; i < n; i += callers) {
        const answer = await pid.call<IqAnswer>(iqs[i % iqs.length], Infinity); // as processIq calls
        if (answer === null || typeof answer !== 'object' || !('name' in answer)) throw new Error('not a version answer');
      }
    }));
  };
  await run(Math.min(2000, N));
  const t0 = performance.now();
  await run(N);
  const us = ((performance.now() - t0) * 1000) / N;
  await stopServer(pid);
  return us;
}

const fmt = (us: number): string => `${us.toFixed(1).padStart(8)} µs/IQ ${Math.round(1e6 / us).toLocaleString('en').padStart(9)} IQ/s`;

async function main(): Promise<void> {
  const ctx = { host: 'localhost' } as ModuleContext; // mod_version's start reads nothing of it
  const [registration] = await modVersion.start(ctx, { show_os: false });
  if (!registration || !('iq' in registration)) throw new Error('mod_version registers one IQ handler');
  const local = registration.handler;

  const t0 = performance.now();
  const bridge = await forkActor(ACTOR, 'mod_version', { module: 'mod_version', opts: {}, hosts: ['localhost'], level: 'warn' });
  const forkMs = performance.now() - t0;
  const forked: IqHandler = async (iq) => decodeAnswer((await bridge.request('iq', encodeIq('localhost', NS_VERSION, iq), 30_000)) as WireAnswer);

  try {
    console.log(`placement round trip, ${N.toLocaleString('en')} jabber:iq:version IQs (mod_version's handler behind a gen_server call)`);
    console.log(`fork of the comedy process (start of the proxy): ${forkMs.toFixed(0)} ms`);
    for (const callers of [1, CALLERS]) {
      const inProcess = await measure(moduleMailbox, local, callers);
      const outOfProcess = await measure(proxyMailbox, forked, callers);
      console.log(`${callers === 1 ? 'sequential' : `${callers} callers`}:`);
      console.log(`  in process ${fmt(inProcess)}`);
      console.log(`  forked     ${fmt(outOfProcess)}`);
      console.log(`  ratio      forked/in-process = ${(outOfProcess / inProcess).toFixed(0)}x (+${(outOfProcess - inProcess).toFixed(0)} µs per IQ)`);
    }
  } finally {
    await bridge.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
