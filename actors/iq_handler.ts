/**
 * gen_iq_handler: the IQ tables of `local` and `sm` (host × namespace → handler) and the
 * dispatch with ejabberd's disciplines: `no_queue` runs in the caller, `one_queue` in the
 * registering module's mailbox, `parallel` in a temporary process per IQ. Only here are
 * "exactly one child" (bad-request), "no handler" (service-unavailable) and "threw"
 * (internal-server-error, logged with the stanza) enforced (STYLE §3).
 */
import type { Element } from 'ltx';
import { Process } from '../supervision/process.js';
import type { ExitReason } from '../supervision/exit_reason.js';
import type { Jid } from '../src/jid.js';
import { iqResult, isStanzaError, stanzaError, type StanzaError } from '../src/stanza/error.js';
import { loggable } from '../src/stanza/redact.js';
import { childLog } from '../src/log.js';
import { bounce, route, type RoutingContext } from './router.js';
import { updateTable, type OwnedTable } from './table_keeper.js';

export type IqDisc = 'no_queue' | 'one_queue' | 'parallel';

export interface Iq {
  from: Jid;
  to: Jid;
  type: 'get' | 'set';
  /** The one child element that says what the IQ is about. */
  payload: Element;
  stanza: Element;
}

/** A handler that routed its answer itself, because something must follow it (an account removal's kick). */
export const ANSWERED = Symbol('answered');

/** The answer: the result's child (or null for an empty result), a stanza error, or ANSWERED. */
export type IqAnswer = Element | null | StanzaError | typeof ANSWERED;
export type IqHandler = (iq: Iq) => IqAnswer | Promise<IqAnswer>;

interface Registration {
  handler: IqHandler;
  owner: Process;
  disc: IqDisc;
}

/** Sent to the owner of a `one_queue` handler; modules built on gen_mod handle it. */
export interface IqRequest {
  type: 'iq';
  iq: Iq;
  handler: IqHandler;
  ctx: RoutingContext;
}

const log = childLog({ actor: 'iq' });

export class IqTable implements OwnedTable {
  private readonly handlers = new Map<string, Registration>();

  register(host: string, ns: string, handler: IqHandler, owner: Process, disc: IqDisc): void {
    this.handlers.set(`${host}\0${ns}`, { handler, owner, disc });
  }

  unregister(host: string, ns: string): void {
    this.handlers.delete(`${host}\0${ns}`);
  }

  get(host: string, ns: string): Registration | undefined {
    return this.handlers.get(`${host}\0${ns}`);
  }

  namespaces(host: string): string[] {
    const prefix = `${host}\0`;
    return [...this.handlers.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }

  owners(): Set<Process> {
    return new Set([...this.handlers.values()].map((r) => r.owner));
  }

  dropOwner(owner: Process, _reason: ExitReason): void {
    for (const [key, r] of this.handlers) if (r.owner === owner) this.handlers.delete(key);
  }
}

/** `gen_iq_handler:handle/7`: validates, finds the handler, runs it by its discipline. */
export async function processIq(ctx: RoutingContext, table: IqTable, from: Jid, to: Jid, stanza: Element): Promise<void> {
  const type = stanza.attrs.type;
  if (type === 'result' || type === 'error') return;
  const children = stanza.getChildElements();
  if ((type !== 'get' && type !== 'set') || children.length !== 1 || !stanza.attrs.id) {
    return bounce(ctx, from, to, stanza, stanzaError('bad-request'));
  }
  const payload = children[0] as Element;
  const registration = table.get(to.domain, payload.getNS() ?? '');
  if (!registration) return bounce(ctx, from, to, stanza, stanzaError('service-unavailable'));
  const iq: Iq = { from, to, type, payload, stanza };
  const { handler, owner, disc } = registration;
  switch (disc) {
    case 'no_queue':
      return answerIq(ctx, iq, handler).catch(() => undefined);
    case 'one_queue':
      if (!owner.alive) return bounce(ctx, from, to, stanza, stanzaError('service-unavailable'));
      // A call, not a cast, though nobody waits for it: if the owner dies with this IQ still
      // queued (its mailbox is dropped), the call fails and the sender gets an error, not silence.
      void owner.call({ type: 'iq', iq, handler, ctx } satisfies IqRequest, Infinity).catch(() =>
        bounce(ctx, from, to, stanza, stanzaError('internal-server-error')).catch(() => undefined),
      );
      return;
    case 'parallel':
      return runInTemporaryProcess(ctx, iq, handler);
  }
}

/** Runs the handler and routes its answer; if it throws, the sender gets internal-server-error and the error is rethrown. */
export async function answerIq(ctx: RoutingContext, iq: Iq, handler: IqHandler): Promise<void> {
  let answer: IqAnswer;
  try {
    answer = await handler(iq);
  } catch (error) {
    log.error({ err: error, stanza: loggable(iq.stanza) }, 'IQ handler crashed');
    await bounce(ctx, iq.from, iq.to, iq.stanza, stanzaError('internal-server-error'));
    throw error;
  }
  if (answer === ANSWERED) return;
  if (isStanzaError(answer)) return bounce(ctx, iq.from, iq.to, iq.stanza, answer);
  await route(ctx, iq.to, iq.from, iqResult(iq.stanza, answer ?? undefined));
}

function runInTemporaryProcess(ctx: RoutingContext, iq: Iq, handler: IqHandler): void {
  const worker = new Process('iq_worker');
  worker.run({
    handle: async () => {
      await answerIq(ctx, iq, handler);
      await worker.stop('normal');
    },
    terminate: () => undefined,
  });
  worker.cast('run');
}

/**
 * `gen_iq_handler:add_iq_handler(Component, Host, NS, …)`: `local` for IQs to the host,
 * `sm` for IQs to users' bare JIDs. The handler goes when `owner` dies.
 */
export function registerIqHandler(
  component: 'local' | 'sm', owner: Process, host: string, ns: string, handler: IqHandler, disc: IqDisc = 'one_queue',
): Promise<void> {
  return updateTable<IqTable | { iq: IqTable }, void>(component, owner, (t) => {
    const table = t instanceof IqTable ? t : t.iq;
    table.register(host, ns, handler, owner, disc);
  });
}
