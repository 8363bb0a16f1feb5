/** A small gen_server for kernel tests: records its lifecycle in a shared journal. */
import { start, noreply, reply, stop, type GenServer } from '../../supervision/gen_server.js';
import type { Process } from '../../supervision/process.js';
import type { ExitReason } from '../../supervision/exit_reason.js';

export interface WorkerArgs {
  id: string;
  journal: string[];
  trapExit?: boolean;
  /** ms to linger in terminate (for shutdown timeout tests). */
  slowTerminate?: number;
  failInit?: boolean;
}

type Msg = 'ping' | 'crash' | { exit: ExitReason } | { sleep: number };

export const worker: GenServer<WorkerArgs, WorkerArgs> = {
  init(args) {
    if (args.failInit) throw new Error(`${args.id} refuses to start`);
    args.journal.push(`start ${args.id}`);
    return args;
  },
  async handleCall(req, _from, state) {
    const msg = req as Msg;
    if (msg === 'ping') return reply(`pong ${state.id}`, state);
    if (msg === 'crash') throw new Error(`${state.id} crashed`);
    if (typeof msg === 'object' && 'sleep' in msg) {
      await new Promise((r) => setTimeout(r, msg.sleep));
      return reply('slept', state);
    }
    return reply(null, state);
  },
  handleCast(msg, state) {
    const m = msg as Msg;
    if (m === 'crash') throw new Error(`${state.id} crashed`);
    if (typeof m === 'object' && 'exit' in m) return stop(m.exit, state);
    return noreply(state);
  },
  async terminate(reason, state) {
    if (state.slowTerminate) await new Promise((r) => setTimeout(r, state.slowTerminate));
    state.journal.push(`stop ${state.id} ${typeof reason === 'string' ? reason : 'error'}`);
  },
};

export function startWorker(args: WorkerArgs, link?: Process, name?: string): Promise<Process> {
  const opts: Parameters<typeof start>[2] = { trapExit: args.trapExit ?? true, label: args.id };
  if (link) opts.link = link;
  if (name) opts.name = name;
  return start(worker, args, opts);
}

export const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` holds (tests wait on observable state, never on wall-clock guesses). */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for: ${what}`);
    await tick(5);
  }
}
