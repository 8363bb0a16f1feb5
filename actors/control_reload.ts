/**
 * `troupectl reload` (ejabberdctl `reload_config`): reads the file the node was started with
 * again, checks all of it (the schema, then every module's name and options) before touching
 * anything, then applies what can change live (src/config/reload.ts: log level, limits,
 * registration, stream management, modules) and reports the rest as needing a restart. Modules
 * whose options changed are restarted under `modules_sup` with the new ones; disabled ones are
 * stopped and enabled ones started; a change of `placement` (local/forked) is a restart too.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Node } from './node.js';
import type { ChildSpec } from '../supervision/child_spec.js';
import { ConfigError, loadConfig } from '../src/config/load.js';
import { applyLiveKeys, diffConfig } from '../src/config/reload.js';
import type { Config } from '../src/config/schema.js';
import { setLogLevel } from '../src/log.js';
import type { ReloadResult } from '../src/control/protocol.js';
import { moduleChildSpec, type ModuleSpec } from './gen_mod.js';
import { MODULES } from './modules/index.js';
import { splitPlacement } from './forked_module.js';
import { runningModules, startModule, stopModule, tablesSettled } from './control_modules.js';

interface ModulePlan {
  stop: string[];
  start: ChildSpec[];
  restart: ChildSpec[];
}

export async function reload(node: Node): Promise<ReloadResult> {
  const file = node.configPath ?? null;
  const next = readConfig(node.configPath);
  const plan = planModules(node, new Set(await runningModules()), node.config, next);
  const { applied, needsRestart } = diffConfig(node.config, next);
  const notes: string[] = [];
  if (file === null) notes.push('the node was started without a config file (embedded defaults): nothing to reload');

  applyLiveKeys(node.config, next);
  if (process.env.TROUPE_LOGLEVEL) notes.push(`loglevel: TROUPE_LOGLEVEL=${process.env.TROUPE_LOGLEVEL} overrides the file`);
  else setLogLevel(node.config.loglevel);

  for (const id of [...plan.stop, ...plan.restart.map((s) => s.id)]) await stopModule(id);
  await tablesSettled();
  const failed: string[] = [];
  for (const spec of [...plan.start, ...plan.restart]) {
    try {
      await startModule(spec);
    } catch (error) {
      failed.push(`${spec.id}: ${(error as Error).message}`);
    }
  }
  if (failed.length) throw new Error(`config reloaded, but module(s) failed to start: ${failed.join('; ')}`);

  const ids = (specs: ChildSpec[]): string[] => specs.map((s) => s.id);
  return { file, applied, needsRestart, modules: { started: ids(plan.start), stopped: plan.stop, restarted: ids(plan.restart) }, notes };
}

/** The file as it is now; a bad one is one error line listing every problem. */
function readConfig(file: string | undefined): Config {
  try {
    return loadConfig(file);
  } catch (error) {
    throw new Error(`config not reloaded: ${problemsOf(error)}`);
  }
}

const enabled = (config: Config, m: ModuleSpec<any>): boolean => (m.name in config.modules ? config.modules[m.name] !== false : m.defaultEnabled);

/**
 * Where and with what a module runs: gen_mod's `placement` and the module's options with their
 * defaults filled in (an absent entry and `{}` are the same). Both configs are valid by now.
 */
function effective(m: ModuleSpec<any>, raw: unknown): unknown {
  const { placement, opts } = splitPlacement(m, raw === false || raw === undefined || raw === null ? {} : raw);
  const parsed = m.options.safeParse(opts ?? {});
  return { placement, opts: parsed.success ? parsed.data : opts };
}

const problemsOf = (error: unknown): string => (error instanceof ConfigError ? error.problems.join('; ') : (error as Error).message);

/**
 * Which modules to stop, start and restart to go from what runs to `next`. Every child spec is
 * made (which validates the options) before anything is applied: a bad option changes nothing.
 */
function planModules(node: Node, running: Set<string>, old: Config, next: Config): ModulePlan {
  const problems: string[] = [];
  const unknown = Object.keys(next.modules).filter((name) => !MODULES.some((m) => m.name === name));
  if (unknown.length) problems.push(`modules: unknown module ${unknown.join(', ')} (known: ${MODULES.map((m) => m.name).join(', ')})`);
  const plan: ModulePlan = { stop: [], start: [], restart: [] };
  for (const m of MODULES) {
    const on = enabled(next, m);
    const was = running.has(m.name);
    if (!on) {
      if (was) plan.stop.push(m.name);
      continue;
    }
    let spec: ChildSpec;
    try {
      spec = moduleChildSpec(node, m, next.modules[m.name]);
    } catch (error) {
      problems.push(problemsOf(error));
      continue;
    }
    if (!was) plan.start.push(spec);
    else if (!isDeepStrictEqual(effective(m, old.modules[m.name]), effective(m, next.modules[m.name]))) plan.restart.push(spec);
  }
  if (problems.length) throw new Error(`config not reloaded: ${problems.join('; ')}`);
  return plan;
}
