/**
 * What feeds `/metrics` from the actors' side: stanza counters hooked into every c2s's
 * `user_send_packet` / `user_receive_packet` (owned by the HTTP listener's process, so they go
 * when it does and come back with its restart), and the scrape, which walks the live tree for
 * the per-actor gauges just before rendering the registry.
 */
import type { Element } from 'ltx';
import type { Process } from '../supervision/process.js';
import type { Node } from './node.js';
import { addHook } from './hooks.js';
import { walkTree } from './control_commands.js';
import { countStanza, exposition, setNodeGauges } from '../src/http/metrics.js';
import { actorSamples } from '../src/http/snapshot.js';
import type { HttpRoute } from '../src/http/routes.js';

/** First in the fold: every stanza a client sends in its session counts, even if a later hook drops it. */
const IN_PRIORITY = 0;
/** Last in the fold: only stanzas that no hook dropped count as delivered. */
const OUT_PRIORITY = 1000;

const countIn = (stanza: Element): Element => {
  countStanza('in', stanza.name);
  return stanza;
};

const countOut = (stanza: Element): Element => {
  countStanza('out', stanza.name);
  return stanza;
};

export async function registerStanzaCounters(node: Node, owner: Process): Promise<void> {
  for (const host of node.hosts) {
    await addHook(owner, 'user_send_packet', host, countIn, IN_PRIORITY);
    await addHook(owner, 'user_receive_packet', host, countOut, OUT_PRIORITY);
  }
}

/** `GET /metrics`: Prometheus text format; public, like any scrape target. */
export function metricsRoute(node: Node): HttpRoute {
  return {
    method: 'GET',
    path: '/metrics',
    access: 'public',
    async handle(_req, res) {
      const { root } = await walkTree();
      setNodeGauges(node.sessions.size, actorSamples(root));
      const { contentType, body } = await exposition();
      res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
      res.end(body);
    },
  };
}
