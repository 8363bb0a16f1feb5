/**
 * mod_muc: the XEP-0045 Multi-User Chat service `conference.<host>` (option `host`), as
 * ejabberd's mod_muc: it registers the service's domain with the router (`registerRoute`),
 * answers the service's own IQs (disco: identity conference/text, rooms as items, §6.1–6.3)
 * and hands every stanza for `room@service[/nick]` to that room's process, starting it under
 * `muc_room_sup` when needed: a presence creates a room, a stanza to a stored (persistent)
 * room loads it, anything else to no room is item-not-found. Room lookup is the process
 * registry (`muc_room:<room@service>`), so it survives a restart of this module.
 */
import { z } from 'zod';
import type { Element } from 'ltx';
import type { Process } from '../../supervision/process.js';
import { whereis } from '../../supervision/registry.js';
import { startChild } from '../../supervision/supervisor.js';
import { jid, type Jid } from '../../src/jid.js';
import { stanzaError } from '../../src/stanza/error.js';
import { childLog } from '../../src/log.js';
import { infoQuery, itemsQuery, type DiscoItem } from '../../src/disco/info.js';
import { NS_MUC } from '../../src/muc/ns.js';
import { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING } from '../../src/xml/ns.js';
import type { ModuleContext, ModuleSpec } from '../gen_mod.js';
import { IqTable, processIq, type Iq, type IqAnswer } from '../iq_handler.js';
import { bounce } from '../router.js';
import type { ItemsAcc } from './mod_disco.js';
import type { MucStore } from './mod_muc.store.js';
import { roomName, type MucOptions, type RoomArgs, type RoomRoute } from './mod_muc_room.js';
import { roomTable } from './mod_muc_room.state.js';

const options = z.strictObject({
  host: z.string().min(1).default('conference.@HOST@'),
  max_users: z.number().int().min(1).default(200),
  history_size: z.number().int().min(0).default(20),
  max_user_rooms: z.number().int().min(1).default(100),
});

const SERVICE_NAME = 'Chatrooms';
const log = childLog({ actor: 'mod_muc' });

interface Muc {
  ctx: ModuleContext;
  opts: MucOptions;
  service: Jid;
  store: MucStore;
  iq: IqTable;
}

/** §6.3: the public rooms, live or stored, by JID. */
async function publicRooms(m: Muc): Promise<DiscoItem[]> {
  const rooms = new Map<string, string>();
  for (const [name, stored] of await m.store.list(m.service.domain)) {
    if (stored.config.public) rooms.set(`${name}@${m.service.domain}`, stored.config.title || name);
  }
  for (const data of roomTable(m.ctx.node).values()) {
    if (data.jid.domain === m.service.domain && data.config.public && !data.locked) rooms.set(data.jid.toString(), data.config.title || data.jid.local);
  }
  return [...rooms].sort(([a], [b]) => a.localeCompare(b)).map(([j, name]) => ({ jid: j, name }));
}

function serviceIqTable(m: Muc): IqTable {
  const table = new IqTable();
  const getOnly = (f: () => IqAnswer | Promise<IqAnswer>) => (iq: Iq): IqAnswer | Promise<IqAnswer> =>
    iq.type === 'get' ? f() : stanzaError('not-allowed', "disco is 'get' only");
  const info = () => infoQuery('', { identities: [{ category: 'conference', type: 'text', name: SERVICE_NAME }], features: [NS_MUC, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING], forms: [] });
  const items = async () => itemsQuery('', await publicRooms(m));
  table.register(m.service.domain, NS_DISCO_INFO, getOnly(info), m.ctx.self, 'no_queue');
  table.register(m.service.domain, NS_DISCO_ITEMS, getOnly(items), m.ctx.self, 'no_queue');
  table.register(m.service.domain, NS_PING, () => null, m.ctx.self, 'no_queue');
  return table;
}

/** The room's process: running, or started (under muc_room_sup) if the stanza may start it; else the sender gets item-not-found. */
async function findRoom(m: Muc, from: Jid, to: Jid, stanza: Element): Promise<Process | undefined> {
  const running = whereis(roomName(to));
  if (running) return running;
  // A presence may create a room; a room in the table crashed and is being restarted (its name
  // is free, its supervisor's restart is already queued ahead of our start, which then finds it).
  const startable = (stanza.name === 'presence' && stanza.attrs.type === undefined) || roomTable(m.ctx.node).has(to.bareString());
  if (!startable && !(await m.store.get(to.domain, to.local))) {
    await bounce(m.ctx.node, from, to, stanza, stanzaError('item-not-found', 'no such room'));
    return undefined;
  }
  try {
    return await startChild('muc_room_sup', [{ node: m.ctx.node, jid: to.bare(), opts: m.opts } satisfies RoomArgs]);
  } catch (error) {
    // Another stanza started it first (its name is taken): that one is the room.
    const started = whereis(roomName(to));
    if (started) return started;
    log.error({ err: error, room: to.bareString() }, 'room failed to start');
    await bounce(m.ctx.node, from, to, stanza, stanzaError('internal-server-error', 'the room failed to start'));
    return undefined;
  }
}

/** The route of `service`: the service itself, or a room. */
async function routeMuc(m: Muc, from: Jid, to: Jid, stanza: Element): Promise<void> {
  if (to.local === '') {
    if (stanza.name === 'iq') await processIq(m.ctx.node, m.iq, from, to, stanza);
    return;
  }
  const room = await findRoom(m, from, to, stanza);
  room?.cast({ type: 'route', from, to, stanza } satisfies RoomRoute);
}

export const modMuc: ModuleSpec<MucOptions> = {
  name: 'mod_muc',
  xeps: [45, 410],
  options,
  defaultEnabled: true,
  start(ctx, opts) {
    const service = jid('', opts.host.replaceAll('@HOST@', ctx.host));
    const m: Muc = { ctx, opts, service, store: ctx.node.stores.muc(), iq: new IqTable() };
    m.iq = serviceIqTable(m);
    return [
      { route: service.domain, handler: (from, to, stanza) => routeMuc(m, from, to, stanza) },
      {
        hook: 'disco_local_items',
        callback: (acc: ItemsAcc, _from: Jid, _to: Jid, node: string) => (node === '' ? [...(acc ?? []), { jid: service.domain, name: SERVICE_NAME }] : acc),
      },
    ];
  },
};
