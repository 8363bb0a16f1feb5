/**
 * The c2s side of `limits.c2s_shaper` (ejabberd's `shaper` on a listener): every chunk read
 * counts against the connection's bucket; when it runs dry the socket is paused (no more
 * reads, so TCP pushes back on the client) until the bucket has refilled. No error, just slow.
 */
import type { Config } from '../src/config/schema.js';
import { Shaper } from '../src/limits/shaper.js';
import type { C2sSocket, Info, State } from './c2s_state.js';

const warned = new WeakSet<Shaper>();

/** The shaper a new connection gets, or null for `none`. */
export function newShaper(config: Config, now: number): Shaper | null {
  const spec = config.limits.c2s_shaper === 'none' ? undefined : config.shaper[config.limits.c2s_shaper];
  return spec ? new Shaper(spec, now) : null;
}

/** Accounts `bytes` just read from `socket`; pauses it when over the rate. */
export function shape(state: State, socket: C2sSocket, bytes: number): void {
  const pause = state.shaper?.update(bytes, Date.now()) ?? 0;
  if (pause === 0) return;
  socket.pause();
  const first = !warned.has(state.shaper as Shaper);
  if (first) warned.add(state.shaper as Shaper);
  // Once per connection at warn (the address is in the c2s logger's bindings), then at debug.
  state.log[first ? 'warn' : 'debug']({ pause, shaper: state.node.config.limits.c2s_shaper }, 'shaper: over the rate, reading paused');
  state.self.sendAfter(pause, { type: 'shaper_resume', socket } satisfies Info);
}
