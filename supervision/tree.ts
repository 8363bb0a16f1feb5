/**
 * The supervision tree of a Troupe node, in boot order, like `ejabberd_sup:init/1`.
 * The one file of supervision/ that names the XMPP roles (ARCHITECTURE §1, §3).
 */
import type { SupervisorArgs } from './supervisor.js';
import { startSupervisor, supervisorSpec } from './supervisor.js';
import type { ChildSpec } from './child_spec.js';
import type { Process } from './process.js';
import type { Node } from '../actors/node.js';
import { startKeeper } from '../actors/table_keeper.js';
import { startStorage } from '../actors/storage.js';
import { startLocal } from '../actors/local.js';
import { moduleChildSpecs } from '../actors/modules/index.js';
import { c2sChildSpec } from '../actors/c2s.js';
import { listenerChildSpecs } from '../actors/listener.js';
import { startControl } from '../actors/control.js';
import { roomChildSpec } from '../actors/modules/mod_muc_room.js';

/** ejabberd_sup's flags: up to 10 restarts a second before the node gives up. */
const NODE_FLAGS = { strategy: 'one_for_one', intensity: 10, period: 1 } as const;

export function troupeTree(node: Node): SupervisorArgs {
  const children: ChildSpec[] = [
    { id: 'hooks', start: (sup) => startKeeper('hooks', node.hooks, sup) },
    { id: 'storage', start: (sup) => startStorage(node.storage, node.config, sup) },
    { id: 'router', start: (sup) => startKeeper('router', node.routes, sup) },
    { id: 'local', start: (sup) => startLocal(node, sup) },
    { id: 'sm', start: (sup) => startKeeper('sm', node.sessions, sup) },
    // One process per XEP-0045 room, started by mod_muc; here so rooms outlive a mod_muc restart.
    supervisorSpec('muc_room_sup', { strategy: 'simple_one_for_one', intensity: 10, period: 1 }, [roomChildSpec()], { name: 'muc_room_sup' }),
    modulesSup(node),
    // c2s_sup before the listeners: a connection accepted must find its supervisor.
    supervisorSpec('c2s_sup', { strategy: 'simple_one_for_one' }, [c2sChildSpec(node)], { name: 'c2s_sup' }),
    supervisorSpec('listeners_sup', NODE_FLAGS, listenerChildSpecs(node), { name: 'listeners_sup' }),
    { id: 'control', start: (sup) => startControl(node, sup) },
  ];
  return { name: 'troupe_sup', flags: NODE_FLAGS, children };
}

/**
 * modules_sup takes its children from `node.config.modules` each time it starts, as an OTP
 * supervisor's init/1 reads the config: after `troupectl reload`, a restart of modules_sup
 * itself brings back the reloaded modules. They are checked once now, so a bad option stops
 * the boot with its message.
 */
function modulesSup(node: Node): ChildSpec {
  moduleChildSpecs(node);
  const start = (sup: Process): Promise<Process> =>
    startSupervisor({ name: 'modules_sup', flags: NODE_FLAGS, children: moduleChildSpecs(node) }, { name: 'modules_sup', link: sup });
  return { id: 'modules_sup', type: 'supervisor', start };
}
