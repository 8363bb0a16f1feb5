/**
 * gen_mod: every module is a gen_server under `modules_sup`. A module's `start` returns its
 * registrations (IQ handlers, hooks, routes), which this behaviour applies with the module's
 * process as owner, so a module that stops or crashes can never leak one (they are dropped
 * on its DOWN and applied again by its restart). `one_queue` IQs run in the module's mailbox;
 * a handler that throws answers internal-server-error and crashes the module, nothing else.
 */
import type { z } from 'zod';
import type { Process } from '../supervision/process.js';
import { noreply, reply, replyTo, start, type GenServer } from '../supervision/gen_server.js';
import type { ChildSpec } from '../supervision/child_spec.js';
import { answerIq, registerIqHandler, type IqDisc, type IqHandler, type IqRequest } from './iq_handler.js';
import { addHook, type HookCallback } from './hooks.js';
import { registerRoute, type RouteHandler } from './router.js';
import type { Node } from './node.js';
import { forkedModuleChildSpec, splitPlacement } from './forked_module.js';

export type Registration =
  | { iq: 'sm' | 'local'; ns: string; handler: IqHandler; disc?: IqDisc; feature?: string }
  | { hook: string; callback: HookCallback; priority?: number }
  | { route: string; handler: RouteHandler };

export interface ModuleContext {
  node: Node;
  host: string;
  self: Process;
}

export interface ModuleSpec<O = unknown> {
  /** ejabberd's name, e.g. `mod_register`. */
  name: string;
  xeps: number[];
  options: z.ZodType<O>;
  /** Enabled without a `modules:` entry? */
  defaultEnabled: boolean;
  /**
   * May run `placement: forked` (its own Node process, see forked_module.ts): every registration
   * is an IQ handler that is a pure function of the IQ and the options (no hooks, no routes, no
   * `ctx.node`/`ctx.self`, no server table). Without it, `placement: forked` is a config error.
   */
  forkable?: boolean;
  /** Like `Module:start/2`: what this module handles on `host`. */
  start(ctx: ModuleContext, opts: O): Registration[] | Promise<Registration[]>;
}

interface State {
  spec: ModuleSpec<any>;
  /** Disco features advertised per host, from the registrations. */
  features: string[];
}

async function apply(self: Process, host: string, r: Registration): Promise<void> {
  if ('iq' in r) return registerIqHandler(r.iq, self, host, r.ns, r.handler, r.disc);
  if ('hook' in r) return addHook(self, r.hook, host, r.callback, r.priority);
  return registerRoute(self, r.route, r.handler);
}

function genMod(node: Node): GenServer<State, { spec: ModuleSpec<any>; opts: unknown }> {
  return {
    async init({ spec, opts }, self) {
      const features: string[] = [];
      for (const host of node.hosts) {
        for (const r of await spec.start({ node, host, self }, opts)) {
          await apply(self, host, r);
          if ('iq' in r) features.push(r.feature ?? r.ns);
        }
      }
      return { spec, features };
    },
    async handleCast(msg, state) {
      const request = msg as IqRequest;
      if (request?.type === 'iq') await answerIq(request.ctx, request.iq, request.handler);
      return noreply(state);
    },
    async handleCall(request, from, state) {
      if (request === 'features') return reply(state.features, state);
      const iqRequest = request as IqRequest;
      if (iqRequest?.type === 'iq') {
        try {
          await answerIq(iqRequest.ctx, iqRequest.iq, iqRequest.handler);
        } catch (error) {
          replyTo(from, 'answered'); // answerIq sent internal-server-error: the caller must not send another
          throw error;
        }
        return reply('answered', state);
      }
      throw new Error(`${state.spec.name}: unknown request ${String(request)}`);
    },
  };
}

/**
 * Validates the module's options (a bad option stops the start, naming it) and makes its child
 * spec. The option `placement` (any module; `local` by default) is gen_mod's: `forked` runs the
 * module's IQ handlers in a forked process behind a proxy (forked_module.ts).
 */
export function moduleChildSpec(node: Node, spec: ModuleSpec<any>, options: unknown): ChildSpec {
  const { placement, opts: rawOpts } = splitPlacement(spec, options);
  const parsed = spec.options.safeParse(rawOpts ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`modules.${spec.name}${issue?.path.length ? '.' + issue.path.join('.') : ''}: ${issue?.message}`);
  }
  if (placement === 'forked') return forkedModuleChildSpec(node, spec, parsed.data, rawOpts);
  // Trapping exits, a module handles its shutdown after the IQ in progress: no write is cut short.
  return { id: spec.name, start: (parent) => start(genMod(node), { spec, opts: parsed.data }, { name: spec.name, link: parent, trapExit: true }) };
}
