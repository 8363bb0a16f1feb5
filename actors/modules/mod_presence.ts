/**
 * mod_presence: presence broadcast (RFC 6121 §4), what ejabberd does in `ejabberd_c2s`
 * (`presence_update`, `presence_broadcast`, `process_presence_probe`) kept out of our c2s as
 * hooks. Who is subscribed comes from mod_roster through `roster_get_subscription_lists` and
 * `roster_get_jid_info`. Directed presence (§4.6) is remembered per session so that the
 * unavailable presence reaches those entities too.
 */
import { z } from 'zod';
import { clone, createElement, type Element } from 'ltx';
import type { Process } from '../../supervision/process.js';
import { tryParseJid, type Jid } from '../../src/jid.js';
import { hasFrom } from '../../src/roster/subscription.js';
import type { ModuleContext, ModuleSpec } from '../gen_mod.js';
import { STOP } from '../hooks.js';
import { route } from '../router.js';
import { deliver } from '../sm.js';
import type { Session } from '../session_table.js';
import type { JidInfo, SubscriptionLists } from './mod_roster.js';

/** §4.6: entities a session sent directed available presence to, by c2s pid (outlives a module restart). */
const directed = new WeakMap<Process, Set<string>>();

function stamped(presence: Element, from: Jid, to: Jid): Element {
  const out = clone(presence);
  out.attrs.from = from.toString();
  out.attrs.to = to.toString();
  return out;
}

const unavailable = (from: Jid, to: Jid): Element => createElement('presence', { type: 'unavailable', from: from.toString(), to: to.toString() });

/** The user's contacts by subscription direction (`roster_get_subscription_lists`), as JIDs. */
export async function subscriptionLists(ctx: ModuleContext, user: Jid): Promise<{ from: Jid[]; to: Jid[] }> {
  const lists = await ctx.node.hooks.runFold<SubscriptionLists>('roster_get_subscription_lists', user.domain, { from: [], to: [] }, user.bare());
  const parse = (jids: string[]): Jid[] => jids.map(tryParseJid).filter((j): j is Jid => j !== null);
  return lists === STOP ? { from: [], to: [] } : { from: parse(lists.from), to: parse(lists.to) };
}

/**
 * `user_presence_broadcast` (§4.2.2, §4.4.2, §4.5.2): the presence to every contact with a
 * subscription from the user. Initial presence also probes the contacts the user subscribes to
 * (§4.2.2; from the full JID, as ejabberd does, so only the new resource gets the answers) and
 * gives the new resource the presence of the user's other available resources. Unavailable
 * presence also goes to the entities that got directed presence (§4.6.3).
 */
async function presenceUpdate(ctx: ModuleContext, user: Jid, presence: Element, initial: boolean): Promise<void> {
  const { node } = ctx;
  const lists = await subscriptionLists(ctx, user);
  for (const contact of lists.from) await route(node, user, contact, stamped(presence, user, contact));
  if (presence.attrs.type === 'unavailable') return unavailableToDirected(ctx, node.sessions.get(user)?.pid, user, lists.from);
  if (!initial) return;
  for (const contact of lists.to) {
    await route(node, user, contact, createElement('presence', { type: 'probe', from: user.toString(), to: contact.toString() }));
  }
  const self = node.sessions.get(user);
  if (!self) return;
  for (const other of node.sessions.resources(user.bare())) {
    if (other !== self && other.presence) deliver(self, other.jid, user, stamped(other.presence, other.jid, user));
  }
}

async function unavailableToDirected(ctx: ModuleContext, pid: Process | undefined, user: Jid, subscribers: Jid[]): Promise<void> {
  const targets = pid ? directed.get(pid) : undefined;
  if (!pid || !targets) return;
  directed.delete(pid);
  const covered = new Set(subscribers.map((j) => j.toString()));
  for (const target of targets) {
    const to = tryParseJid(target);
    if (to && !covered.has(to.bareString())) await route(ctx.node, user, to, unavailable(user, to));
  }
}

/**
 * `presence_to_user` for probes (§4.3.2): a contact subscribed to the user gets the last
 * presence of each available resource, or unavailable when there is none; anyone else learns
 * nothing. A probe is never delivered to a client.
 */
async function processProbe(ctx: ModuleContext, handled: boolean, from: Jid, to: Jid, stanza: Element): Promise<boolean> {
  if (handled || stanza.attrs.type !== 'probe') return handled;
  const { node } = ctx;
  const user = to.bare();
  const info = await node.hooks.runFold<JidInfo | null>('roster_get_jid_info', user.domain, null, user, from.bare());
  if (info === STOP || !info || !hasFrom(info)) return true;
  const available = node.sessions.resources(user).filter((s) => s.presence);
  if (available.length === 0) await route(node, user, from, unavailable(user, from));
  for (const s of available) await route(node, s.jid, from, stamped(s.presence as Element, s.jid, from));
  return true;
}

/** `user_send_packet`: directed presence (§4.6) to anyone but the user's own account is remembered until unavailable. */
function trackDirected(ctx: ModuleContext, stanza: Element, user: Jid, to: Jid): Element {
  const type = stanza.attrs.type;
  if (stanza.name !== 'presence' || (type !== undefined && type !== 'unavailable') || to.bare().equals(user.bare())) return stanza;
  const pid = ctx.node.sessions.get(user)?.pid;
  if (!pid) return stanza;
  let targets = directed.get(pid);
  if (type === 'unavailable') targets?.delete(to.toString());
  else {
    if (!targets) directed.set(pid, (targets = new Set()));
    targets.add(to.toString());
  }
  return stanza;
}

/**
 * `sm_remove_connection`: a session that was available and ends without having said so
 * (closed stream, dropped socket, crashed c2s) is announced unavailable to subscribers, to the
 * user's other resources and to directed-presence entities (§4.5.2, RFC 6120 §4.4).
 */
async function sessionClosed(ctx: ModuleContext, session: Session): Promise<void> {
  const { node } = ctx;
  if (!session.presence) {
    directed.delete(session.pid);
    return;
  }
  const replacement = node.sessions.get(session.jid);
  if (replacement && replacement.pid !== session.pid && replacement.presence) return;
  const user = session.jid;
  const lists = await subscriptionLists(ctx, user);
  for (const contact of lists.from) await route(node, user, contact, unavailable(user, contact));
  for (const other of node.sessions.resources(user.bare())) {
    if (other.pid !== session.pid && other.priority !== null) deliver(other, user, other.jid, unavailable(user, other.jid));
  }
  await unavailableToDirected(ctx, session.pid, user, lists.from);
}

export const modPresence: ModuleSpec<Record<string, never>> = {
  name: 'mod_presence',
  xeps: [],
  options: z.strictObject({}),
  defaultEnabled: true,
  start(ctx) {
    return [
      { hook: 'user_presence_broadcast', callback: (user: Jid, presence: Element, initial: boolean) => presenceUpdate(ctx, user, presence, initial) },
      { hook: 'presence_to_user', callback: (acc: boolean, from: Jid, to: Jid, stanza: Element) => processProbe(ctx, acc, from, to, stanza) },
      { hook: 'user_send_packet', callback: (stanza: Element, user: Jid, to: Jid) => trackDirected(ctx, stanza, user, to), priority: 60 },
      { hook: 'sm_remove_connection', callback: (session: Session) => sessionClosed(ctx, session) },
    ];
  },
};
