/**
 * The supervisor behaviour with OTP semantics: strategies one_for_one, one_for_all,
 * rest_for_one and simple_one_for_one; restart intensity with escalation to the parent;
 * children started in order and stopped in reverse order with their shutdown policy.
 */
import { call, exit, type ExitMessage, type From, type Process } from './process.js';
import { start as startServer, noreply, reply, stop, type CallResult, type GenServer, type Result } from './gen_server.js';
import { isOrderly, type ExitReason } from './exit_reason.js';
import {
  shouldRestart, validateChildSpec, validateFlags, type ChildSpec, type SupFlags, type ValidChildSpec,
} from './child_spec.js';
import { report } from './events.js';
import { addDeadline, settle } from './call_timeouts.js';

interface Child {
  spec: ValidChildSpec;
  pid: Process | null;
  args: unknown[];
  restarts: number;
}

interface State {
  name: string;
  flags: Required<SupFlags>;
  /** Static children in start order; simple_one_for_one keeps its one template here. */
  children: Child[];
  byPid: Map<Process, Child>;
  restartTimes: number[];
}

export interface ChildInfo {
  id: string;
  pid: Process | null;
  type: 'worker' | 'supervisor';
  restart: string;
  restarts: number;
}

export interface SupervisorArgs {
  name: string;
  flags: SupFlags;
  children: ChildSpec[];
}

type Request =
  | { op: 'start_child'; arg: ChildSpec | unknown[] }
  | { op: 'terminate_child'; target: string | Process }
  | { op: 'restart_child'; id: string }
  | { op: 'delete_child'; id: string }
  | { op: 'which_children' };

const isDynamic = (s: State): boolean => s.flags.strategy === 'simple_one_for_one';

const supervisor: GenServer<State, SupervisorArgs> = {
  async init({ name, flags, children }, self) {
    const state: State = { name, flags: validateFlags(flags), children: [], byPid: new Map(), restartTimes: [] };
    const specs = children.map(validateChildSpec);
    if (isDynamic(state) && specs.length !== 1) throw new Error(`simple_one_for_one supervisor '${name}' needs exactly one child spec`);
    if (new Set(specs.map((s) => s.id)).size !== specs.length) throw new Error(`supervisor '${name}': duplicate child id`);
    for (const spec of specs) state.children.push({ spec, pid: null, args: [], restarts: 0 });
    if (isDynamic(state)) return state;
    for (const child of state.children) {
      try {
        await startOne(state, child, self);
      } catch (error) {
        await terminateAll(state, self);
        throw new Error(`supervisor '${name}': child '${child.spec.id}' failed to start: ${(error as Error).message}`);
      }
    }
    return state;
  },

  async handleCall(request, from: From, state, self): Promise<CallResult<State>> {
    try {
      return reply(await dispatch(request as Request, state, self), state);
    } catch (error) {
      // Errors are answers ({error, not_found} in OTP), not a reason for the supervisor to die.
      from.reject(error as Error);
      return noreply(state);
    }
  },

  handleInfo(msg, state, self): Result<State> | Promise<Result<State>> {
    const exitMsg = msg as ExitMessage;
    if (exitMsg?.type !== 'EXIT' || exitMsg.from === null) return noreply(state);
    const child = state.byPid.get(exitMsg.from);
    if (!child) return noreply(state); // a stale EXIT from a child already dealt with
    return onChildExit(state, child, exitMsg.reason, self);
  },

  async terminate(_reason, state, self) {
    await terminateAll(state, self);
  },
};

function dispatch(req: Request, state: State, self: Process): unknown {
  switch (req.op) {
    case 'start_child': return startChildOp(state, req.arg, self);
    case 'terminate_child': return terminateChildOp(state, req.target, self);
    case 'restart_child': return restartChildOp(state, req.id, self);
    case 'delete_child': return deleteChildOp(state, req.id);
    case 'which_children': return whichChildrenOp(state);
  }
}

function onChildExit(state: State, child: Child, reason: ExitReason, self: Process): Result<State> | Promise<Result<State>> {
  const pid = child.pid as Process;
  forget(state, child);
  report('exit', state.name, child.spec.id, String(pid), child.restarts, reason);
  if (!shouldRestart(child.spec.restart, isOrderly(reason))) {
    if (child.spec.restart === 'temporary' && !isDynamic(state)) state.children.splice(state.children.indexOf(child), 1);
    return noreply(state);
  }
  return restart(state, child, self).then((ok) => (ok ? noreply(state) : stop('shutdown', state)));
}

/** Applies the strategy; false when the intensity is exceeded (the caller escalates). */
async function restart(state: State, failed: Child, self: Process): Promise<boolean> {
  for (;;) {
    if (!addRestart(state)) {
      report('escalate', state.name, failed.spec.id, String(self), failed.restarts, new Error('reached_max_restart_intensity'));
      await terminateAll(state, self);
      return false;
    }
    const group = restartGroup(state, failed);
    for (const child of [...group].reverse()) if (child.pid) await terminateOne(state, child, self);
    try {
      for (const child of group) {
        child.restarts++;
        await startOne(state, child, self);
        report('restart', state.name, child.spec.id, String(child.pid), child.restarts);
      }
      return true;
    } catch {
      // A failed restart counts against the intensity and is tried again, as OTP does.
    }
  }
}

function restartGroup(state: State, failed: Child): Child[] {
  switch (state.flags.strategy) {
    case 'one_for_all': return state.children.slice();
    case 'rest_for_one': return state.children.slice(state.children.indexOf(failed));
    default: return [failed];
  }
}

function addRestart(state: State): boolean {
  const now = Date.now();
  const horizon = now - state.flags.period * 1000;
  state.restartTimes = state.restartTimes.filter((t) => t > horizon);
  state.restartTimes.push(now);
  return state.restartTimes.length <= state.flags.intensity;
}

async function startOne(state: State, child: Child, self: Process): Promise<Process> {
  const pid = await child.spec.start(self, ...child.args);
  pid.parent = self;
  self.link(pid);
  child.pid = pid;
  state.byPid.set(pid, child);
  report('start', state.name, child.spec.id, String(pid), child.restarts);
  return pid;
}

function forget(state: State, child: Child): void {
  if (child.pid) state.byPid.delete(child.pid);
  child.pid = null;
}

/** OTP shutdown: unlink, `shutdown` signal, wait up to the timeout, then `kill`. */
async function terminateOne(state: State, child: Child, self: Process): Promise<void> {
  const pid = child.pid;
  if (!pid) return;
  forget(state, child);
  self.unlink(pid);
  const { shutdown } = child.spec;
  if (shutdown === 'brutal_kill') exit(pid, 'kill', self);
  else exit(pid, 'shutdown', self);
  const deadline = typeof shutdown === 'number' ? addDeadline(shutdown, () => exit(pid, 'kill', self)) : null;
  const reason = await pid.exited;
  if (deadline) settle(deadline);
  const expected = reason === 'shutdown' || (reason === 'killed' && shutdown === 'brutal_kill');
  report('exit', state.name, child.spec.id, String(pid), child.restarts, reason, expected);
}

/** Stops every child in reverse start order; dynamic children all at once, as OTP does. */
async function terminateAll(state: State, self: Process): Promise<void> {
  if (isDynamic(state)) {
    const template = state.children[0] as Child;
    const dynamic = [...state.byPid.values()];
    await Promise.all(dynamic.map((child) => terminateOne(state, child, self)));
    state.children = [template];
    return;
  }
  for (const child of [...state.children].reverse()) await terminateOne(state, child, self);
}

async function startChildOp(state: State, arg: ChildSpec | unknown[], self: Process): Promise<Process> {
  if (isDynamic(state)) {
    const template = state.children[0] as Child;
    const child: Child = { spec: template.spec, pid: null, args: arg as unknown[], restarts: 0 };
    return startOne(state, child, self);
  }
  const spec = validateChildSpec(arg as ChildSpec);
  if (state.children.some((c) => c.spec.id === spec.id)) throw new Error(`already_present: child '${spec.id}'`);
  const child: Child = { spec, pid: null, args: [], restarts: 0 };
  state.children.push(child);
  try {
    return await startOne(state, child, self);
  } catch (error) {
    state.children.pop();
    throw error;
  }
}

async function terminateChildOp(state: State, target: string | Process, self: Process): Promise<void> {
  const child = typeof target === 'string'
    ? state.children.find((c) => c.spec.id === target && !isDynamic(state))
    : state.byPid.get(target);
  if (!child) throw new Error(`not_found: no child ${String(target)} in '${state.name}'`);
  await terminateOne(state, child, self);
  if (child.spec.restart === 'temporary' && !isDynamic(state)) state.children.splice(state.children.indexOf(child), 1);
}

async function restartChildOp(state: State, id: string, self: Process): Promise<Process> {
  const child = findStatic(state, id);
  if (child.pid) throw new Error(`running: child '${id}' in '${state.name}'`);
  return startOne(state, child, self);
}

function deleteChildOp(state: State, id: string): void {
  const child = findStatic(state, id);
  if (child.pid) throw new Error(`running: child '${id}' in '${state.name}'`);
  state.children.splice(state.children.indexOf(child), 1);
}

function findStatic(state: State, id: string): Child {
  const child = isDynamic(state) ? undefined : state.children.find((c) => c.spec.id === id);
  if (!child) throw new Error(`not_found: no child '${id}' in '${state.name}'`);
  return child;
}

function whichChildrenOp(state: State): ChildInfo[] {
  const list = isDynamic(state) ? [...state.byPid.values()] : state.children;
  return list.map((c) => ({ id: c.spec.id, pid: c.pid, type: c.spec.type, restart: c.spec.restart, restarts: c.restarts }));
}

/** `supervisor:start_link/2`. */
export function startSupervisor(args: SupervisorArgs, opts: { name?: string; link?: Process } = {}): Promise<Process> {
  return startServer(supervisor, args, { ...opts, label: args.name, trapExit: true });
}

/** A child spec for a nested supervisor. */
export function supervisorSpec(id: string, flags: SupFlags, children: ChildSpec[], opts: { name?: string } = {}): ChildSpec {
  return { id, type: 'supervisor', start: (parent) => startSupervisor({ name: id, flags, children }, { ...opts, link: parent }) };
}

export const startChild = (sup: Process | string, arg: ChildSpec | unknown[]): Promise<Process> =>
  call(sup, { op: 'start_child', arg }, Infinity);
export const terminateChild = (sup: Process | string, target: string | Process): Promise<void> =>
  call(sup, { op: 'terminate_child', target }, Infinity);
export const restartChild = (sup: Process | string, id: string): Promise<Process> =>
  call(sup, { op: 'restart_child', id }, Infinity);
export const deleteChild = (sup: Process | string, id: string): Promise<void> => call(sup, { op: 'delete_child', id });
export const whichChildren = (sup: Process | string): Promise<ChildInfo[]> => call(sup, { op: 'which_children' });

export async function countChildren(sup: Process | string): Promise<{ specs: number; active: number; supervisors: number; workers: number }> {
  const children = await whichChildren(sup);
  const supervisors = children.filter((c) => c.type === 'supervisor').length;
  return { specs: children.length, active: children.filter((c) => c.pid !== null).length, supervisors, workers: children.length - supervisors };
}
