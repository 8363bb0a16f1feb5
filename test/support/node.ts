/**
 * An in-process node for tests of the stanza path without sockets: the real tables and the
 * real hooks, router, local and sm actors, plus the modules under test, on a temp data dir.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Element } from 'ltx';
import { noreply, type GenServer } from '../../supervision/gen_server.js';
import { startSupervisor, supervisorSpec } from '../../supervision/supervisor.js';
import type { Process } from '../../supervision/process.js';
import { configSchema } from '../../src/config/schema.js';
import { loadOrCreateCertificate } from '../../src/tls/certificate.js';
import { createNode, type Node } from '../../actors/node.js';
import { startKeeper } from '../../actors/table_keeper.js';
import { startLocal } from '../../actors/local.js';
import { moduleChildSpec, type ModuleSpec } from '../../actors/gen_mod.js';
import type { RouteMessage } from '../../actors/sm.js';

export async function startTestNode(modules: ModuleSpec<any>[], options: Record<string, unknown> = {}): Promise<{ node: Node; sup: Process }> {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-node-'));
  const config = configSchema.parse({ data_dir: dir });
  const node = createNode(config, await loadOrCreateCertificate(config.tls, dir, config.hosts));
  const flags = { strategy: 'one_for_one', intensity: 10, period: 1 } as const;
  const sup = await startSupervisor({
    name: 'test_sup',
    flags,
    children: [
      { id: 'hooks', start: (p) => startKeeper('hooks', node.hooks, p) },
      { id: 'router', start: (p) => startKeeper('router', node.routes, p) },
      { id: 'local', start: (p) => startLocal(node, p) },
      { id: 'sm', start: (p) => startKeeper('sm', node.sessions, p) },
      supervisorSpec('modules_sup', flags, modules.map((m) => moduleChildSpec(node, m, options[m.name] ?? {}))),
    ],
  });
  return { node, sup };
}

/** A stand-in for a c2s: it holds a session and hands every stanza routed to it to `onStanza`. */
export function routeCollector(onStanza: (stanza: Element) => void): GenServer<null> {
  return {
    init: () => null,
    handleCast(msg) {
      if ((msg as RouteMessage).type === 'route') onStanza((msg as RouteMessage).stanza);
      return noreply(null);
    },
  };
}
