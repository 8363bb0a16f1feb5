/**
 * mod_blocking: XEP-0191 blocking command. The user reads its blocklist, blocks and unblocks
 * JIDs (or everything); each change is stored as one write, pushed to every resource of the user
 * that requested the list (§3.3, §3.4), and followed by unavailable presence to newly blocked
 * contacts (current presence to unblocked ones) that are subscribed to the user. Enforcement is
 * in `mod_blocking.filter.ts`; the lists in memory in `mod_blocking.lists.ts`.
 */
import { z } from 'zod';
import { clone, createElement, type Element } from 'ltx';
import type { Process } from '../../supervision/process.js';
import { tryParseJid, type Jid } from '../../src/jid.js';
import { stanzaError, type StanzaError } from '../../src/stanza/error.js';
import { hasFrom } from '../../src/roster/subscription.js';
import { blockingElement, itemJids, NS_BLOCKING } from '../../src/blocking/blocklist.js';
import type { ModuleSpec } from '../gen_mod.js';
import { STOP } from '../hooks.js';
import type { Iq, IqAnswer } from '../iq_handler.js';
import { route } from '../router.js';
import { deliver } from '../sm.js';
import type { Session } from '../session_table.js';
import type { JidInfo } from './mod_roster.js';
import { BlockLists, type Blocklist } from './mod_blocking.lists.js';
import { incoming, offlineMessage, outgoing, presenceToUser, privacyCheck, type Blocking } from './mod_blocking.filter.js';
import type { UserRemoval } from '../../src/storage/user_removal.js';

export interface BlockingOptions {
  /** Most JIDs one user may block; a block past it gets policy-violation. */
  max_blocklist_items: number;
}

/** The c2s processes that requested the blocklist (§3.2); by pid, so a restarted module still knows them. */
const requested = new WeakSet<Process>();

let pushes = 0;

async function processIq(b: Blocking, opts: BlockingOptions, iq: Iq): Promise<IqAnswer> {
  if (iq.from.local !== iq.to.local || iq.from.domain !== iq.to.domain) return stanzaError('forbidden', "another account's blocklist");
  const user = iq.to;
  switch (`${iq.type} ${iq.payload.name}`) {
    case 'get blocklist': return getBlocklist(b, iq);
    case 'set block': return block(b, opts, user, iq.payload);
    case 'set unblock': return unblock(b, user, iq.payload);
    default: return stanzaError('bad-request', `no ${iq.type} of <${iq.payload.name}/>`);
  }
}

/** §3.2 */
async function getBlocklist(b: Blocking, iq: Iq): Promise<Element> {
  const session = b.ctx.node.sessions.get(iq.from);
  if (session) requested.add(session.pid);
  return blockingElement('blocklist', [...(await b.lists.of(iq.to))].sort());
}

/** §3.3: at least one item; all of them valid, or nothing changes. */
async function block(b: Blocking, opts: BlockingOptions, user: Jid, el: Element): Promise<IqAnswer> {
  const jids = itemJids(el);
  if (!Array.isArray(jids)) return jids;
  if (jids.length === 0) return stanzaError('bad-request', '<block/> needs at least one <item/>');
  const outcome: { refused?: StanzaError } = {};
  const { before, after } = await b.lists.update(user, (list) => {
    const next = new Set(list);
    for (const j of jids) next.add(j.toString());
    if (next.size === list.size) return list;
    if (next.size <= opts.max_blocklist_items) return next;
    outcome.refused = stanzaError('policy-violation', `at most ${opts.max_blocklist_items} blocked JIDs`);
    return list;
  });
  if (outcome.refused) return outcome.refused;
  push(b, user, blockingElement('block', jids.map(String)));
  await announce(b, user, added(before, after), 'block');
  return null;
}

/** §3.4, §3.5: the items given, or all of them when none is. */
async function unblock(b: Blocking, user: Jid, el: Element): Promise<IqAnswer> {
  const jids = itemJids(el);
  if (!Array.isArray(jids)) return jids;
  const { before, after } = await b.lists.update(user, (list) => {
    const next = jids.length === 0 ? new Set<string>() : new Set(list);
    for (const j of jids) next.delete(j.toString());
    return next.size === list.size ? list : next;
  });
  push(b, user, blockingElement('unblock', jids.map(String)));
  await announce(b, user, added(after, before), 'unblock');
  return null;
}

const added = (from: Blocklist, to: Blocklist): Jid[] =>
  [...to].filter((j) => !from.has(j)).map(tryParseJid).filter((j): j is Jid => j !== null);

/** The change to each resource that requested the blocklist. */
function push(b: Blocking, user: Jid, change: Element): void {
  for (const session of b.ctx.node.sessions.resources(user)) {
    if (!requested.has(session.pid)) continue;
    const iq = createElement('iq', { type: 'set', id: `block-push-${++pushes}`, from: user.toString(), to: session.jid.toString() }, clone(change));
    deliver(session, user, session.jid, iq);
  }
}

/**
 * §3.3, §3.4: a contact subscribed to the user's presence sees it go unavailable when blocked,
 * and gets it back when unblocked, from each available resource.
 */
async function announce(b: Blocking, user: Jid, jids: Jid[], change: 'block' | 'unblock'): Promise<void> {
  const { node } = b.ctx;
  const available = node.sessions.resources(user).filter((s) => s.presence !== null);
  if (available.length === 0) return;
  for (const contact of jids) {
    if (contact.local === '') continue; // a domain has no roster item, so no subscription
    const info = await node.hooks.runFold<JidInfo | null>('roster_get_jid_info', user.domain, null, user, contact.bare());
    if (info === STOP || !info || !hasFrom(info)) continue;
    for (const s of available) {
      const presence = change === 'block' ? createElement('presence', { type: 'unavailable' }) : clone(s.presence as Element);
      presence.attrs.from = s.jid.toString();
      presence.attrs.to = contact.toString();
      await route(node, s.jid, contact, presence);
    }
  }
}

const options = z.strictObject({
  max_blocklist_items: z.number().int().positive().default(5000),
});

export const modBlocking: ModuleSpec<BlockingOptions> = {
  name: 'mod_blocking',
  xeps: [191],
  options,
  defaultEnabled: true,
  start(ctx, opts) {
    const b: Blocking = { ctx, lists: new BlockLists(ctx.node.stores.blocking(), ctx.node.sessions), answered: new WeakSet() };
    return [
      { iq: 'sm', ns: NS_BLOCKING, handler: (iq: Iq) => processIq(b, opts, iq) },
      { hook: 'user_send_packet', callback: (stanza: Element, user: Jid, to: Jid) => outgoing(b, stanza, user, to), priority: 10 },
      { hook: 'user_receive_packet', callback: (stanza: Element, user: Jid, from: Jid) => incoming(b, stanza, user, from), priority: 10 },
      { hook: 'presence_to_user', callback: (acc: boolean, from: Jid, to: Jid, stanza: Element) => presenceToUser(b, acc, from, to, stanza), priority: 10 },
      { hook: 'offline_message_hook', callback: (acc: boolean, from: Jid, to: Jid) => offlineMessage(b, acc, from, to), priority: 10 },
      { hook: 'privacy_check_packet', callback: (acc: string, user: Jid, other: Jid) => privacyCheck(b, acc, user, other) },
      { hook: 'sm_register_connection', callback: (jid: Jid) => b.lists.of(jid), priority: 10 },
      {
        hook: 'sm_remove_connection',
        callback: (session: Session) => {
          requested.delete(session.pid);
          b.lists.forget(session.jid);
        },
      },
      { hook: 'remove_user', callback: (_user: string, _host: string, removal: UserRemoval) => b.lists.remove(removal) },
    ];
  },
};
