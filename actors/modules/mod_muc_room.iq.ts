/**
 * IQs to a room: disco#info and #items (XEP-0045 §6.4, §6.5), `muc#admin` and `muc#owner`
 * (mod_muc_room.admin.ts), the room's archive (XEP-0313 §4 on the room JID) and pings; to an
 * occupant JID, XEP-0410 self-ping, answered by the room itself. Dispatched by gen_iq_handler's
 * rules (one child, a handler per namespace, service-unavailable otherwise).
 */
import type { Element } from 'ltx';
import type { Jid } from '../../src/jid.js';
import { stanzaError } from '../../src/stanza/error.js';
import { infoQuery, itemsQuery } from '../../src/disco/info.js';
import { roomFeatures, roomInfoForm } from '../../src/muc/config.js';
import { NS_MUC_ADMIN, NS_MUC_OWNER, NS_MUC_SELF_PING } from '../../src/muc/ns.js';
import { queryForm } from '../../src/mam/form.js';
import { NS_MAM } from '../../src/mam/ns.js';
import { atLeast } from '../../src/muc/roles.js';
import { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING } from '../../src/xml/ns.js';
import { IqTable, processIq, type Iq, type IqAnswer, type IqHandler } from '../iq_handler.js';
import { bounce } from '../router.js';
import { queryArchive } from './mod_mam.query.js';
import { occupantJid, type Room } from './mod_muc_room.context.js';
import { affiliationOf, occupantByJid } from './mod_muc_room.state.js';
import { processAdminIq, processOwnerIq } from './mod_muc_room.admin.js';

function discoInfo(r: Room, iq: Iq): IqAnswer {
  if (iq.type !== 'get') return stanzaError('not-allowed', "disco is 'get' only");
  const { config, jid: room, occupants, subject } = r.data;
  const features = [...roomFeatures(config), NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, NS_MUC_SELF_PING, ...(config.mam ? [NS_MAM] : [])];
  const identities = [{ category: 'conference', type: 'text', name: config.title || room.local }];
  return infoQuery('', { identities, features, forms: [roomInfoForm(config, occupants.size, subject?.text ?? '')] });
}

/** §6.5: the occupants, to anyone for a public room, else to occupants only. */
function discoItems(r: Room, iq: Iq): IqAnswer {
  if (iq.type !== 'get') return stanzaError('not-allowed', "disco is 'get' only");
  const visible = r.data.config.public || occupantByJid(r.data, iq.from) !== undefined;
  const items = visible ? [...r.data.occupants.keys()].map((nick) => ({ jid: occupantJid(r.data.jid, nick).toString() })) : [];
  return itemsQuery('', items);
}

/** XEP-0313 on the room: occupants, members, or anyone when the room is public and open. */
function mam(r: Room, iq: Iq): IqAnswer | Promise<IqAnswer> {
  const { config } = r.data;
  const open = config.public && !config.members_only && !config.password_protected;
  if (!open && !occupantByJid(r.data, iq.from) && !atLeast(affiliationOf(r.data, iq.from), 'member')) {
    return stanzaError('forbidden', "this room's archive is for its occupants and members");
  }
  if (iq.type === 'get') return iq.payload.name === 'query' ? queryForm() : stanzaError('bad-request', 'expected <query/>');
  if (iq.payload.name !== 'query') return stanzaError('bad-request', 'expected <query/>');
  const m = { ctx: { node: r.node, host: r.data.jid.domain, self: r.self }, opts: { default: 'always' as const, retention_days: 0, max_page: 50 }, store: r.mam, prefsCache: new Map() };
  return queryArchive(m, iq);
}

/** muc#admin and muc#owner requests are a `<query/>`. */
const query = (handler: (r: Room, iq: Iq) => IqAnswer | Promise<IqAnswer>) => (r: Room, iq: Iq): IqAnswer | Promise<IqAnswer> =>
  iq.payload.name === 'query' ? handler(r, iq) : stanzaError('bad-request', 'expected <query/>');

/** The room's own IQ table (no_queue: run in the room's process, in its mailbox order). */
export function roomIqTable(r: Room): IqTable {
  const table = new IqTable();
  const on = (ns: string, handler: (room: Room, iq: Iq) => IqAnswer | Promise<IqAnswer>): void => {
    const h: IqHandler = (iq) => handler(r, iq);
    table.register(r.data.jid.domain, ns, h, r.self, 'no_queue');
  };
  on(NS_DISCO_INFO, discoInfo);
  on(NS_DISCO_ITEMS, discoItems);
  on(NS_MUC_ADMIN, query(processAdminIq));
  on(NS_MUC_OWNER, query(processOwnerIq));
  on(NS_MAM, mam);
  on(NS_PING, () => null);
  return table;
}

/** XEP-0410 §3: a ping to one's own occupant JID is answered by the room; not joined: not-acceptable. */
function selfPing(r: Room, from: Jid, to: Jid, stanza: Element): Promise<void> {
  const sender = occupantByJid(r.data, from);
  if (!sender) return bounce(r.node, from, to, stanza, stanzaError('not-acceptable', 'you are not in this room'));
  if (!r.data.occupants.has(to.resource)) return bounce(r.node, from, to, stanza, stanzaError('item-not-found', 'no such occupant'));
  if (stanza.getChild('ping', NS_PING) && stanza.attrs.type === 'get') return processIq(r.node, r.iq, from, to, stanza);
  return bounce(r.node, from, to, stanza, stanzaError('service-unavailable', 'IQs to occupants are not passed on'));
}

export function roomIq(r: Room, from: Jid, to: Jid, stanza: Element): Promise<void> | void {
  if (stanza.attrs.type === 'result' || stanza.attrs.type === 'error') return;
  if (to.resource !== '') return selfPing(r, from, to, stanza);
  return processIq(r.node, r.iq, from, to, stanza);
}
