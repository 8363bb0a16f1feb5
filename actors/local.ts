/**
 * ejabberd_local: registers every served host with the router at start; stanzas to a user
 * go to the session manager, IQs to the host itself to the local IQ table.
 */
import type { Element } from 'ltx';
import type { Process } from '../supervision/process.js';
import type { Jid } from '../src/jid.js';
import type { Pending } from './hooks.js';
import { registerRoute, type RoutingContext } from './router.js';
import { IqTable, processIq } from './iq_handler.js';
import { startKeeper } from './table_keeper.js';
import { smRoute, type SmContext } from './sm.js';

export interface LocalContext extends SmContext {
  localIq: IqTable;
  hosts: readonly string[];
}

/** `ejabberd_local:route/3`. */
export function localRoute(ctx: LocalContext, from: Jid, to: Jid, stanza: Element, pending?: Pending): Promise<void> | void {
  if (to.local !== '') return smRoute(ctx, from, to, stanza, pending);
  if (stanza.name === 'iq' && to.resource === '') return processIq(ctx, ctx.localIq, from, to, stanza);
  // Messages and presence addressed to the server itself: nothing here consumes them yet.
}

/** The `local` actor keeps the local IQ table and owns the routes of the served hosts. */
export function startLocal(ctx: LocalContext, parent: Process): Promise<Process> {
  return startKeeper('local', ctx.localIq, parent, async (self) => {
    for (const host of ctx.hosts) {
      await registerRoute(self, host, (from, to, stanza, pending) => localRoute(ctx, from, to, stanza, pending));
    }
  });
}

export type { RoutingContext };
