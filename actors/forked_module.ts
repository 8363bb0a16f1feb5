/**
 * `placement: forked` for a module (ARCHITECTURE §7): its gen_server under `modules_sup` becomes
 * a proxy that owns a comedy actor in its own Node process. The proxy registers the module's
 * IQ handlers in the parent (so IQs arriving while the process forks wait in its mailbox),
 * then forks; each IQ goes to the process and its answer is routed here. When the process
 * dies (crash, kill -9) the proxy exits with an error and `modules_sup` restarts it by our
 * intensity rules, forking a new process; comedy's own respawn is off. `terminate` closes the
 * process, and if the proxy is killed instead, the process is killed with it.
 *
 * Only modules that declare `forkable: true` may be placed: each of their registrations must
 * be an IQ handler that is a pure function of the IQ and the module's options (no hooks, no
 * routes, no `ctx.node`/`ctx.self`, no table of the server), as mod_version's is.
 */
import { fileURLToPath } from 'node:url';
import type { Process } from '../supervision/process.js';
import { noreply, reply, start, stop, type GenServer } from '../supervision/gen_server.js';
import type { ChildSpec } from '../supervision/child_spec.js';
import { ConfigError } from '../src/config/load.js';
import { log } from '../src/log.js';
import { answerIq, registerIqHandler, type Iq, type IqRequest } from './iq_handler.js';
import type { ModuleSpec } from './gen_mod.js';
import type { Node } from './node.js';
import { forkActor, type Bridge } from './placement.js';
import { decodeAnswer, encodeIq, type ForkedModuleParams, type WireAnswer } from './forked/wire.js';

export type Placement = 'local' | 'forked';

/** A forwarded IQ with no answer by then fails (internal-server-error) and restarts the module: its process hangs. */
const IQ_TIMEOUT_MS = 10_000;
const ACTOR = fileURLToPath(new URL('./forked/module_actor.cjs', import.meta.url));

/**
 * Takes `placement` out of a module's options (the rest is the module's own), refusing
 * `forked` for a module that does not declare itself forkable.
 */
export function splitPlacement(spec: ModuleSpec<any>, rawOpts: unknown): { placement: Placement; opts: unknown } {
  if (typeof rawOpts !== 'object' || rawOpts === null || !('placement' in rawOpts)) return { placement: 'local', opts: rawOpts };
  const { placement, ...opts } = rawOpts as { placement: unknown };
  const key = `modules.${spec.name}.placement`;
  if (placement !== 'local' && placement !== 'forked') {
    throw new ConfigError([`${key}: expected local or forked, got ${JSON.stringify(placement)}`]);
  }
  if (placement === 'forked' && !spec.forkable) {
    throw new ConfigError([
      `${key}: ${spec.name} cannot run forked: its handlers need the server's processes or in-memory tables ` +
        '(only modules declaring forkable: true, whose IQ handlers are pure functions of the IQ, can)',
    ]);
  }
  return { placement, opts };
}

interface Args {
  spec: ModuleSpec<any>;
  opts: unknown;
  /** The options as written (without `placement`), for the child to parse again. */
  rawOpts: unknown;
}

interface State {
  name: string;
  features: string[];
  bridge: Bridge;
}

const FORKED_EXIT = Symbol('forked_exit');
const HANDLER_FAILED = Symbol('handler_failed');
type Info = { [FORKED_EXIT]: string } | { [HANDLER_FAILED]: unknown };

async function forward(link: { bridge: Bridge | null }, host: string, ns: string, iq: Iq) {
  if (!link.bridge) throw new Error('forked module not started');
  return decodeAnswer((await link.bridge.request('iq', encodeIq(host, ns, iq), IQ_TIMEOUT_MS)) as WireAnswer);
}

function forkedMod(node: Node): GenServer<State, Args> {
  return {
    async init({ spec, opts, rawOpts }, self) {
      const link: { bridge: Bridge | null } = { bridge: null };
      const features: string[] = [];
      for (const host of node.hosts) {
        for (const r of await spec.start({ node, host, self }, opts)) {
          if (!('iq' in r)) throw new Error(`${spec.name}: placement forked runs IQ handlers only, but start() returned a ${'hook' in r ? 'hook' : 'route'}`);
          // one_queue: IQs reach this mailbox, which holds them while the process forks.
          await registerIqHandler(r.iq, self, host, r.ns, (iq) => forward(link, host, r.ns, iq), 'one_queue');
          features.push(r.feature ?? r.ns);
        }
      }
      const params: ForkedModuleParams = { module: spec.name, opts: rawOpts ?? {}, hosts: node.hosts, level: log.level };
      const bridge = await forkActor(ACTOR, spec.name, params);
      link.bridge = bridge;
      bridge.onExit((why) => self.info({ [FORKED_EXIT]: why } satisfies Info));
      void self.exited.then(() => bridge.kill());
      self.label = `${spec.name} forked os_pid=${bridge.osPid}`;
      return { name: spec.name, features, bridge };
    },

    handleCall(request, _from, state, self) {
      if (request === 'features') return reply(state.features, state);
      const iq = request as IqRequest;
      if (iq?.type !== 'iq') throw new Error(`${state.name}: unknown request ${String(request)}`);
      // Answered at once; the round trip runs outside the mailbox, so IQs are pipelined to the
      // process and its exit is seen without waiting. answerIq alone answers the sender (one
      // answer per IQ, internal-server-error if the round trip fails); a failure then stops us.
      answerIq(iq.ctx, iq.iq, iq.handler).catch((error: unknown) => self.info({ [HANDLER_FAILED]: error } satisfies Info));
      return reply('forwarded', state);
    },

    handleInfo(msg, state) {
      if (typeof msg !== 'object' || msg === null) return noreply(state);
      const info = msg as Info;
      if (FORKED_EXIT in info) return stop(new Error(`${state.name}: forked process ${state.bridge.osPid} ${info[FORKED_EXIT]}`), state);
      if (HANDLER_FAILED in info) {
        const error = info[HANDLER_FAILED];
        return stop(error instanceof Error ? error : new Error(String(error)), state);
      }
      return noreply(state);
    },

    async terminate(_reason, state) {
      await state.bridge.close();
    },
  };
}

/** The child spec of a module placed `forked` (options already validated by gen_mod). */
export function forkedModuleChildSpec(node: Node, spec: ModuleSpec<any>, opts: unknown, rawOpts: unknown): ChildSpec {
  const args: Args = { spec, opts, rawOpts };
  return { id: spec.name, start: (parent: Process) => start(forkedMod(node), args, { name: spec.name, link: parent, trapExit: true }) };
}
