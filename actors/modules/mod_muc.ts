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
import { jid, parseJid, type Jid } from '../../src/jid.js';
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
import { roomTable, type RoomData } from './mod_muc_room.state.js';
import { roomFromSaved } from './mod_muc_room.cluster.js';
import { onRoomMessage, routeInCluster, type LocalRooms, type MucCluster } from './mod_muc.cluster.js';
import type { RoomMessage } from '../../src/cluster/wire.js';

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
  /** With `cluster:` (issue #9): rooms are placed on one node each. */
  cluster: MucCluster | null;
}

/** The rooms running on this node, and in a cluster those its nodes run (as their owners saved them). */
async function liveRooms(m: Muc): Promise<RoomData[]> {
  const rooms = [...roomTable(m.ctx.node).values()];
  for (const { room, state } of m.cluster ? await m.cluster.rooms.list() : []) {
    const j = parseJid(room);
    if (state !== null && j.domain === m.service.domain) rooms.push(roomFromSaved(j, state));
  }
  return rooms;
}

/** §6.3: the public rooms, live or stored, by JID. */
async function publicRooms(m: Muc): Promise<DiscoItem[]> {
  const rooms = new Map<string, string>();
  for (const [name, stored] of await m.store.list(m.service.domain)) {
    if (stored.config.public) rooms.set(`${name}@${m.service.domain}`, stored.config.title || name);
  }
  for (const data of await liveRooms(m)) {
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

/** A presence may create a room; a stored (persistent) room loads; a room in the table crashed and is being restarted. */
async function mayStart(m: Muc, to: Jid, stanza: Element): Promise<boolean> {
  const presence = stanza.name === 'presence' && stanza.attrs.type === undefined;
  return presence || roomTable(m.ctx.node).has(to.bareString()) || (await m.store.get(to.domain, to.local)) !== undefined;
}

/** Starts the room's process under muc_room_sup; if another stanza started it first (its name is taken), that one. */
async function startRoom(m: Muc, room: Jid): Promise<Process> {
  try {
    return await startChild('muc_room_sup', [{ node: m.ctx.node, jid: room.bare(), opts: m.opts } satisfies RoomArgs]);
  } catch (error) {
    const started = whereis(roomName(room));
    if (started) return started;
    throw error;
  }
}

/**
 * The room's process: running, or started if `known` to exist or the stanza may start it
 * (a crashed room's restart is queued ahead of our start, which then finds it); else the
 * sender gets item-not-found.
 */
async function findRoom(m: Muc, from: Jid, to: Jid, stanza: Element, known = false): Promise<Process | undefined> {
  const running = whereis(roomName(to));
  if (running) return running;
  if (!known && !(await mayStart(m, to, stanza))) {
    await bounce(m.ctx.node, from, to, stanza, stanzaError('item-not-found', 'no such room'));
    return undefined;
  }
  try {
    return await startRoom(m, to);
  } catch (error) {
    log.error({ err: error, room: to.bareString() }, 'room failed to start');
    await bounce(m.ctx.node, from, to, stanza, stanzaError('internal-server-error', 'the room failed to start'));
    return undefined;
  }
}

const localRooms = (m: Muc): LocalRooms => ({
  routing: m.ctx.node,
  mayStart: (to, stanza) => mayStart(m, to, stanza),
  find: (from, to, stanza, known) => findRoom(m, from, to, stanza, known),
  start: (room) => startRoom(m, room),
  running: () => [...roomTable(m.ctx.node).values()]
    .filter((data) => data.jid.domain === m.service.domain)
    .flatMap((data) => whereis(roomName(data.jid)) ?? []),
});

/** The route of `service`: the service itself, or a room (in a cluster, wherever its owner is). */
async function routeMuc(m: Muc, from: Jid, to: Jid, stanza: Element): Promise<void> {
  if (to.local === '') {
    if (stanza.name === 'iq') await processIq(m.ctx.node, m.iq, from, to, stanza);
    return;
  }
  if (m.cluster) return routeInCluster(m.cluster, localRooms(m), from, to, stanza, 0);
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
    const { cluster, clusterRooms } = ctx.node;
    const c: MucCluster | null = cluster && clusterRooms && { rooms: clusterRooms, sessions: cluster.redis };
    const m: Muc = { ctx, opts, service, store: ctx.node.stores.muc(), iq: new IqTable(), cluster: c };
    m.iq = serviceIqTable(m);
    const forwarded = c ? [{ hook: 'muc_room_forwarded', callback: (msg: RoomMessage) => onRoomMessage(c, localRooms(m), service.domain, msg) }] : [];
    return [
      ...forwarded,
      { route: service.domain, handler: (from, to, stanza) => routeMuc(m, from, to, stanza) },
      {
        hook: 'disco_local_items',
        callback: (acc: ItemsAcc, _from: Jid, _to: Jid, node: string) => (node === '' ? [...(acc ?? []), { jid: service.domain, name: SERVICE_NAME }] : acc),
      },
    ];
  },
};
