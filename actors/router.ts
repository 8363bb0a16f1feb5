/**
 * ejabberd_router: the route table (domain → handler) kept by the `router` actor;
 * `route()` runs in the caller, like `ejabberd_router:route/3`: the `filter_packet` fold,
 * then the handler registered for the recipient's domain.
 */
import type { Element } from 'ltx';
import type { Process } from '../supervision/process.js';
import type { ExitReason } from '../supervision/exit_reason.js';
import type { Jid } from '../src/jid.js';
import { errorReply, stanzaError, type StanzaError } from '../src/stanza/error.js';
import { updateTable, type OwnedTable } from './table_keeper.js';
import { STOP, type HookTable, type Pending } from './hooks.js';
import { timeRouting } from '../src/http/metrics.js';

/**
 * A domain's handler. Given `pending`, it leaves there the writes a delivery has in flight (the
 * recipient's archive row) and resolves once the stanza is delivered; without it, it also
 * waits for those writes.
 */
export type RouteHandler = (from: Jid, to: Jid, stanza: Element, pending?: Pending) => void | Promise<void>;

interface Route {
  handler: RouteHandler;
  owner: Process;
}

export class RouteTable implements OwnedTable {
  private readonly routes = new Map<string, Route>();

  register(domain: string, handler: RouteHandler, owner: Process): void {
    this.routes.set(domain, { handler, owner });
  }

  unregister(domain: string, owner: Process): void {
    if (this.routes.get(domain)?.owner === owner) this.routes.delete(domain);
  }

  get(domain: string): Route | undefined {
    return this.routes.get(domain);
  }

  domains(): string[] {
    return [...this.routes.keys()];
  }

  owners(): Set<Process> {
    return new Set([...this.routes.values()].map((r) => r.owner));
  }

  dropOwner(owner: Process, _reason: ExitReason): void {
    for (const [domain, r] of this.routes) if (r.owner === owner) this.routes.delete(domain);
  }
}

/** What routing needs: the tables, not the actors (they may be restarting). */
export interface RoutingContext {
  hooks: HookTable;
  routes: RouteTable;
}

/** `ejabberd_router:route/3`, timed for `troupe_routing_seconds`; `pending` as for {@link RouteHandler}. */
export function route(ctx: RoutingContext, from: Jid, to: Jid, stanza: Element, pending?: Pending): Promise<void> {
  return timeRouting(() => doRoute(ctx, from, to, stanza, pending));
}

/** `ejabberd_router:do_route/3`. */
async function doRoute(ctx: RoutingContext, from: Jid, to: Jid, stanza: Element, pending?: Pending): Promise<void> {
  const filtered = await ctx.hooks.runFold('filter_packet', 'global', { from, to, stanza });
  if (filtered === STOP) return;
  const target = ctx.routes.get(to.domain);
  if (target) return target.handler(from, to, stanza, pending);
  // No federation yet: every domain we do not serve is unreachable.
  return bounce(ctx, from, to, stanza, stanzaError('remote-server-not-found'));
}

/** Answers `stanza` with an error, unless it is itself an error or a result (RFC 6120 §8.3.1). */
export async function bounce(ctx: RoutingContext, from: Jid, to: Jid, stanza: Element, error: StanzaError): Promise<void> {
  const reply = errorReply(stanza, error);
  if (reply) await route(ctx, to, from, reply);
}

/** `ejabberd_router:register_route/2`: the route goes when `owner` dies. */
export function registerRoute(owner: Process, domain: string, handler: RouteHandler): Promise<void> {
  return updateTable<RouteTable, void>('router', owner, (t) => t.register(domain, handler, owner));
}

export function unregisterRoute(owner: Process, domain: string): Promise<void> {
  return updateTable<RouteTable, void>('router', owner, (t) => t.unregister(domain, owner));
}
