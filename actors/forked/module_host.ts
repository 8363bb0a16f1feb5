/**
 * The child's side of `placement: forked` (ARCHITECTURE §7): loads one module, runs its `start`
 * per host without the server (no `ctx.node`, no `ctx.self`: touching them throws, naming the
 * module), and answers IQs with its handlers. Runs inside comedy's forked process, loaded by
 * `module_actor.cts`; nothing here is shared with the parent but what `wire.ts` carries.
 */
import type { pino } from 'pino';
import { setLogLevel } from '../../src/log.js';
import type { ModuleContext, ModuleSpec } from '../gen_mod.js';
import type { IqHandler } from '../iq_handler.js';
import { decodeIq, encodeAnswer, type ForkedModuleParams, type WireAnswer, type WireIq } from './wire.js';

export interface ModuleHost {
  handle(request: WireIq): Promise<WireAnswer>;
}

const MODULE_NAME = /^mod_[a-z0-9_]+$/;

/** By convention `actors/modules/<name>.ts` exports the spec named `<name>`. */
async function loadSpec(name: string): Promise<ModuleSpec<unknown>> {
  if (!MODULE_NAME.test(name)) throw new Error(`not a module name: ${JSON.stringify(name)}`);
  const exports = (await import(new URL(`../modules/${name}.js`, import.meta.url).href)) as Record<string, unknown>;
  const spec = Object.values(exports).find((v): v is ModuleSpec<unknown> => (v as ModuleSpec<unknown> | null)?.name === name);
  if (!spec) throw new Error(`actors/modules/${name}.js exports no module spec named ${name}`);
  if (!spec.forkable) throw new Error(`${name} does not declare itself forkable`);
  return spec;
}

/** A context whose server-side parts are out of reach: a forkable module's `start` never needs them. */
function forkedContext(name: string, host: string): ModuleContext {
  const unavailable = (what: string): never => {
    throw new Error(`${name} runs forked: ctx.${what} (the server's processes and tables) is not available in the forked process`);
  };
  return {
    host,
    get node(): never { return unavailable('node'); },
    get self(): never { return unavailable('self'); },
  };
}

export async function hostModule(params: ForkedModuleParams): Promise<ModuleHost> {
  setLogLevel(params.level as pino.LevelWithSilent);
  const spec = await loadSpec(params.module);
  const opts = spec.options.parse(params.opts ?? {});
  const handlers = new Map<string, IqHandler>();
  for (const host of params.hosts) {
    for (const r of await spec.start(forkedContext(spec.name, host), opts)) {
      if (!('iq' in r)) throw new Error(`${spec.name}: a forked module registers IQ handlers only`);
      handlers.set(`${host}\0${r.ns}`, r.handler);
    }
  }
  return {
    async handle(request) {
      const handler = handlers.get(`${request.host}\0${request.ns}`);
      if (!handler) throw new Error(`${spec.name} has no handler for ${request.ns} on ${request.host}`);
      return encodeAnswer(await handler(decodeIq(request)));
    },
  };
}
