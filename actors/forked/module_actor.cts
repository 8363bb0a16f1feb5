/**
 * The comedy actor definition of a forked module (ARCHITECTURE §7). comedy loads an actor by
 * `require()` of a module path in the forked process, and our code is ESM: this CommonJS shim
 * (compiled to `module_actor.cjs`) is what it requires; `initialize` imports the ESM host.
 * The forked process belongs to the proxy in the parent: comedy's signal handlers (which call
 * `process.exit`) are replaced by ones that ignore SIGINT/SIGTERM, so a Ctrl-C or a service
 * manager's SIGTERM reaching the whole process group leaves the orderly stop to the parent;
 * the process ends when the parent destroys it or when the IPC channel closes (parent gone).
 */
import type { ModuleHost } from './module_host.js';
import type { ForkedModuleParams, WireAnswer, WireIq } from './wire.js';

/** The parts of comedy's actor and actor system this file uses. */
interface SelfActor {
  getCustomParameters(): ForkedModuleParams;
  getSystem(): { sigintHandler?: () => void; sigtermHandler?: () => void };
}

const ignore = (): void => undefined;

function ownSignals(system: ReturnType<SelfActor['getSystem']>): void {
  if (system.sigintHandler) process.removeListener('SIGINT', system.sigintHandler);
  if (system.sigtermHandler) process.removeListener('SIGTERM', system.sigtermHandler);
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  process.once('disconnect', () => process.exit(0));
}

class ForkedModuleActor {
  private host: ModuleHost | null = null;
  private failure: Error | null = null;

  /** Never throws: a failure is kept for `ready` (comedy's own failure path logs through winston and leaves a timer in the parent). */
  async initialize(self: SelfActor): Promise<void> {
    ownSignals(self.getSystem());
    try {
      const { hostModule } = await import('./module_host.js');
      this.host = await hostModule(self.getCustomParameters());
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
    }
  }

  /** Topic `ready`: the OS process id once the module runs, or why it could not start. */
  ready(): number {
    if (this.failure) throw this.failure;
    return process.pid;
  }

  /** Topic `iq`: one IQ for the module's handler. */
  iq(request: WireIq): Promise<WireAnswer> {
    if (!this.host) throw new Error('forked module not initialised');
    return this.host.handle(request);
  }
}

export = ForkedModuleActor;
