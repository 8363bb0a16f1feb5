/** The modules Troupe ships, and which of them run: `modules:` in troupe.yml enables, configures or disables (`false`). */
import type { ChildSpec } from '../../supervision/child_spec.js';
import { moduleChildSpec, type ModuleSpec } from '../gen_mod.js';
import type { Node } from '../node.js';
import { modRegister } from './mod_register.js';
import { modRoster } from './mod_roster.js';
import { modPresence } from './mod_presence.js';
import { modOffline } from './mod_offline.js';
import { modVcard } from './mod_vcard.js';
import { modPrivate } from './mod_private.js';
import { modBlocking } from './mod_blocking.js';
import { modDisco } from './mod_disco.js';
import { modCaps } from './mod_caps.js';
import { modPing } from './mod_ping.js';
import { modVersion } from './mod_version.js';
import { modLast } from './mod_last.js';
import { modMam } from './mod_mam.js';
import { modCarboncopy } from './mod_carboncopy.js';
import { modClientState } from './mod_client_state.js';
import { modMuc } from './mod_muc.js';

export const MODULES: readonly ModuleSpec<any>[] = [
  modRegister,
  modRoster,
  modPresence,
  modOffline,
  modVcard,
  modPrivate,
  modBlocking,
  modDisco,
  modCaps,
  modPing,
  modVersion,
  modLast,
  modCarboncopy,
  modClientState,
  modMam,
  modMuc,
];

export function moduleChildSpecs(node: Node): ChildSpec[] {
  const configured = node.config.modules;
  const unknown = Object.keys(configured).filter((name) => !MODULES.some((m) => m.name === name));
  if (unknown.length) throw new Error(`modules: unknown module ${unknown.join(', ')} (known: ${MODULES.map((m) => m.name).join(', ')})`);
  return MODULES.filter((m) => (m.name in configured ? configured[m.name] !== false : m.defaultEnabled)).map((m) =>
    moduleChildSpec(node, m, configured[m.name]),
  );
}
