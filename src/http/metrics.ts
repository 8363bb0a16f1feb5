/**
 * Prometheus metrics (prom-client, text format 0.0.4) in Troupe's own registry, never the
 * global one. Counters and histograms are fed where things happen (stanza hooks, `route()`, the
 * LevelDB handle); the per-actor gauges are set from the live tree just before each scrape.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();

const STANZA_TYPES = ['message', 'presence', 'iq'] as const;
export type StanzaType = (typeof STANZA_TYPES)[number];
export type Direction = 'in' | 'out';

const sessions = new Gauge({ name: 'troupe_sessions', help: 'Open client sessions (bound resources)', registers: [registry] });

const stanzas: Record<Direction, Counter<'type'>> = {
  in: new Counter({
    name: 'troupe_stanzas_in_total', help: 'Stanzas received from clients in established sessions (user_send_packet)',
    labelNames: ['type'], registers: [registry],
  }),
  out: new Counter({
    name: 'troupe_stanzas_out_total', help: 'Stanzas delivered to client sessions (user_receive_packet)',
    labelNames: ['type'], registers: [registry],
  }),
};
// Every series exists from the start, so a dashboard sees 0 rather than nothing.
for (const counter of Object.values(stanzas)) for (const type of STANZA_TYPES) counter.inc({ type }, 0);

const routingSeconds = new Histogram({
  name: 'troupe_routing_seconds', help: 'Time spent in route(): filter_packet, the route table and the handler',
  buckets: [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
  registers: [registry],
});

const dbWriteSeconds = new Histogram({
  name: 'troupe_leveldb_write_seconds', help: 'LevelDB write latency (put, del, batch)',
  buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers: [registry],
});

const actorMailbox = new Gauge({
  name: 'troupe_actor_mailbox', help: 'Messages waiting in an actor\'s mailbox (c2s, muc_room: summed over processes)',
  labelNames: ['actor'], registers: [registry],
});

const actorRestarts = new Counter({
  name: 'troupe_actor_restarts_total', help: 'Restarts of an actor by its supervisor',
  labelNames: ['actor'], registers: [registry],
});

let processMetrics = false;

/** Event-loop lag, memory, GC, handles (`nodejs_*`, `process_*`); started once, by the HTTP listener. */
export function enableProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry });
}

/** Counts one stanza by its element name; anything but message, presence and iq is not a stanza. */
export function countStanza(direction: Direction, name: string): void {
  if ((STANZA_TYPES as readonly string[]).includes(name)) stanzas[direction].inc({ type: name });
}

/** Runs one `route()` and records how long it took, failed or not. */
export async function timeRouting<T>(run: () => Promise<T>): Promise<T> {
  const end = routingSeconds.startTimer();
  try {
    return await run();
  } finally {
    end();
  }
}

export function observeDbWrite(seconds: number): void {
  dbWriteSeconds.observe(seconds);
}

/** One actor as the gauges see it. */
export interface ActorSample {
  actor: string;
  mailbox: number;
  restarts: number;
}

/** Sets the node-wide gauges from the tree walked just now; samples of one actor name are summed. */
export function setNodeGauges(sessionCount: number, actors: readonly ActorSample[]): void {
  sessions.set(sessionCount);
  // Actors come and go (a module disabled, a supervisor restarted): only the current ones remain.
  actorMailbox.reset();
  actorRestarts.reset();
  const byActor = new Map<string, ActorSample>();
  for (const sample of actors) {
    const seen = byActor.get(sample.actor);
    if (seen) byActor.set(sample.actor, { ...seen, mailbox: seen.mailbox + sample.mailbox, restarts: seen.restarts + sample.restarts });
    else byActor.set(sample.actor, sample);
  }
  for (const { actor, mailbox, restarts } of byActor.values()) {
    actorMailbox.set({ actor }, mailbox);
    actorRestarts.inc({ actor }, restarts);
  }
}

/** The exposition: content type and text. */
export async function exposition(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
