/**
 * The comedy bridge (ARCHITECTURE §7): one comedy actor in a forked Node process, owned by one
 * of our processes. comedy only places the actor; our supervisor decides restarts, so comedy's
 * respawn stays off (no `onCrash`), its SIGINT/SIGTERM handlers (which call `process.exit`)
 * are removed as soon as the actor system exists, it reads no `actors.json` (programmatic
 * config, so no file watch), and its logs go to pino through `forked/comedy_logger.cjs`.
 * comedy is loaded on first use: a node without forked placement never pays for it.
 */
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { childLog, log } from '../src/log.js';
import { addDeadline, settle, type Deadline } from '../supervision/call_timeouts.js';

/** How long an orderly close waits for in-flight requests, then for comedy's destroy, then for the exit. */
const GRACE_MS = 1000;
/** How long the definition may take to answer `ready` once comedy has created it. */
const READY_MS = 30_000;

/** The parts of comedy 2 used here (its typings predate forked internals). */
interface ComedySystem {
  rootActor(): PromiseLike<{ createChild(definition: string, options: object): PromiseLike<ComedyRef> }>;
  destroy(): PromiseLike<void>;
  getBus(): { recipients: Set<ForkedParent> };
  sigintHandler: () => void;
  sigtermHandler: () => void;
}
/** comedy's ForkedActorParent: its worker, its response-timeout interval and its process 'exit' hook. */
interface ForkedParent {
  workerProcess?: ChildProcess;
  timeoutWorkerInterval?: NodeJS.Timeout;
  exitHandler?: () => void;
}
interface ComedyRef {
  sendAndReceive(topic: string, ...message: unknown[]): PromiseLike<unknown>;
  getWrapped(): ForkedParent;
}

/** A forked comedy actor, as its owner sees it. */
export interface Bridge {
  readonly osPid: number;
  /** `sendAndReceive(topic, body)`; rejects after `timeoutMs`, or at once when the process is gone. */
  request(topic: string, body: unknown, timeoutMs: number): Promise<unknown>;
  /** Called once if the process exits without `close` (crash, kill -9). */
  onExit(listener: (why: string) => void): void;
  /** Orderly: in-flight requests finish (bounded), comedy destroys the actor, the process exits (else SIGKILL). */
  close(): Promise<void>;
  /** SIGKILL if still running: the owner died without `close` (e.g. killed by its supervisor). */
  kill(): void;
}

const require = createRequire(import.meta.url);
const LOGGER = fileURLToPath(new URL('./forked/comedy_logger.cjs', import.meta.url));
let comedy: ((options: object) => ComedySystem) | null = null;

function loadComedy(): (options: object) => ComedySystem {
  if (comedy) return comedy;
  (require(LOGGER) as { setSink(l: typeof log): void }).setSink(childLog({}));
  return (comedy = require('comedy') as (options: object) => ComedySystem);
}

/** comedy resolves `//abs/path` as an absolute path (`/path` would be relative to the project root). */
const modulePath = (file: string): string => `/${file}`;

/** What comedy leaves behind when its actor is gone without a destroy: a 1 s interval and a process 'exit' hook. */
function forgetForkedParent(parent: ForkedParent): void {
  if (parent.timeoutWorkerInterval) clearInterval(parent.timeoutWorkerInterval);
  if (parent.exitHandler) process.removeListener('exit', parent.exitHandler);
  const worker = parent.workerProcess;
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
}

/**
 * Starts `definition` (an absolute path to a CommonJS actor definition) as `name` in a forked
 * process with `customParameters`, and resolves once it answers the topic `ready` (which every
 * definition implements, rejecting with the reason it could not start).
 */
export async function forkActor(definition: string, name: string, customParameters: object): Promise<Bridge> {
  const system = loadComedy()({
    config: {},
    logger: modulePath(LOGGER),
    loggerParams: { level: log.level, bindings: { forked: name } },
  });
  process.removeListener('SIGINT', system.sigintHandler);
  process.removeListener('SIGTERM', system.sigtermHandler);
  let ref: ComedyRef;
  try {
    const root = await system.rootActor();
    ref = await root.createChild(modulePath(definition), { mode: 'forked', name, customParameters });
  } catch (error) {
    for (const parent of system.getBus().recipients) forgetForkedParent(parent);
    throw error;
  }
  const worker = ref.getWrapped().workerProcess;
  if (!worker?.pid) throw new Error(`comedy forked ${name} but exposes no worker process`);
  const forked = bridge(system, ref, worker, worker.pid);
  try {
    await forked.request('ready', undefined, READY_MS);
  } catch (error) {
    await forked.close();
    throw new Error(`${name}: the forked process could not start: ${(error as Error).message}`);
  }
  return forked;
}

function bridge(system: ComedySystem, ref: ComedyRef, worker: ChildProcess, osPid: number): Bridge {
  const inflight = new Map<Promise<unknown>, { reject(error: Error): void; deadline: Deadline }>();
  let exitListener: ((why: string) => void) | null = null;
  let closing = false;
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code, signal) => {
      const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      failAll(new Error(`forked process ${osPid} ${why}`));
      if (!closing) exitListener?.(why);
      resolve();
    });
  });
  const isRunning = (): boolean => worker.exitCode === null && worker.signalCode === null;

  function failAll(error: Error): void {
    for (const { reject } of inflight.values()) reject(error);
  }

  const forgetComedy = (): void => forgetForkedParent(ref.getWrapped());

  return {
    osPid,
    request(topic, body, timeoutMs) {
      if (closing || !isRunning()) return Promise.reject(new Error(`forked process ${osPid} is not running`));
      let entry!: { reject(error: Error): void; deadline: Deadline };
      const promise = new Promise<unknown>((resolve, reject) => {
        const done = (settleIt: () => void): void => {
          if (!inflight.delete(promise)) return;
          settle(entry.deadline);
          settleIt();
        };
        entry = {
          reject: (error) => done(() => reject(error)),
          deadline: addDeadline(timeoutMs, () => entry.reject(new Error(`no answer from forked process ${osPid} within ${timeoutMs} ms`))),
        };
        Promise.resolve(ref.sendAndReceive(topic, body)).then((v) => done(() => resolve(v)), (e: Error) => done(() => reject(e)));
      });
      inflight.set(promise, entry);
      return promise;
    },
    onExit(listener) {
      exitListener = listener;
    },
    async close() {
      if (closing) return exited;
      closing = true;
      if (isRunning()) {
        await within(GRACE_MS, Promise.allSettled([...inflight.keys()]));
        await within(GRACE_MS, Promise.resolve(system.destroy()).catch(() => undefined));
        if (!(await within(GRACE_MS, exited))) worker.kill('SIGKILL');
        await exited;
      }
      forgetComedy();
    },
    kill() {
      closing = true;
      if (isRunning()) worker.kill('SIGKILL');
      forgetComedy();
    },
  };
}

/** Resolves true if `p` settled within `ms`, false otherwise. */
function within(ms: number, p: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([p.then(() => true), late]).finally(() => clearTimeout(timer));
}
