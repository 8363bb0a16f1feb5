/**
 * mod_last: XEP-0012 last activity, as ejabberd's mod_last. To the server (§5): seconds since
 * it started. To a user's bare JID (§4, answered by the server on the user's behalf): 0 while
 * the user has an available resource, else the seconds since its last unavailable presence
 * (or dropped connection) with that presence's status; never seen → service-unavailable.
 *
 * Who may ask (§4: only those "authorized to view the user's presence information"): the user
 * itself and contacts with a subscription to the user's presence (`from` or `both` in the
 * user's roster, through mod_roster's `roster_get_jid_info`), unless the user blocks them
 * (`privacy_check_packet` on a presence to them); anyone else gets forbidden, as §4 requires.
 */
import { z } from 'zod';
import { createElement, type Element } from 'ltx';
import type { Jid } from '../../src/jid.js';
import { stanzaError, type StanzaError } from '../../src/stanza/error.js';
import { hasFrom } from '../../src/roster/subscription.js';
import type { ModuleContext, ModuleSpec } from '../gen_mod.js';
import type { Iq, IqAnswer } from '../iq_handler.js';
import { STOP } from '../hooks.js';
import type { Session } from '../session_table.js';
import type { JidInfo } from './mod_roster.js';
import type { LastStore } from './mod_last.store.js';
import type { UserRemoval } from '../../src/storage/user_removal.js';

/** XEP-0012 */
export const NS_LAST = 'jabber:iq:last';

interface Last {
  ctx: ModuleContext;
  store: LastStore;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function lastQuery(seconds: number, status = ''): Element {
  return createElement('query', { xmlns: NS_LAST, seconds: String(Math.max(0, seconds)) }, ...(status ? [status] : []));
}

function checkRequest(iq: Iq): StanzaError | null {
  if (iq.type !== 'get') return stanzaError('not-allowed', "last activity is 'get' only");
  if (iq.payload.name !== 'query') return stanzaError('bad-request', 'expected <query/>');
  return null;
}

/** §5: the server's uptime. */
function processLocalIq(l: Last, iq: Iq): IqAnswer {
  return checkRequest(iq) ?? lastQuery(Math.floor((Date.now() - l.ctx.node.startedAt) / 1000));
}

/** §4: a user's last activity, on its behalf. */
async function processSmIq(l: Last, iq: Iq): Promise<IqAnswer> {
  const bad = checkRequest(iq) ?? (await checkAuthorized(l, iq.from, iq.to.bare()));
  if (bad) return bad;
  const user = iq.to.bare();
  if (l.ctx.node.sessions.resources(user).some((s) => s.priority !== null)) return lastQuery(0);
  const last = await l.store.get(user.local, user.domain);
  if (!last) return stanzaError('service-unavailable');
  return lastQuery(nowSeconds() - last.at, last.status);
}

async function checkAuthorized(l: Last, from: Jid, user: Jid): Promise<StanzaError | null> {
  if (from.bare().equals(user)) return null;
  const { hooks } = l.ctx.node;
  const info = await hooks.runFold<JidInfo | null>('roster_get_jid_info', user.domain, null, user, from.bare());
  if (info === STOP || info === null || !hasFrom(info)) return stanzaError('forbidden', 'not subscribed to this user');
  const presence = createElement('presence', { from: user.toString(), to: from.toString() });
  const privacy = await hooks.runFold('privacy_check_packet', user.domain, 'allow', user, from, presence, 'out');
  return privacy === 'deny' ? stanzaError('forbidden') : null;
}

/** Stores the time and status, unless the account is gone: its sessions end after its removal, which must leave no row. */
async function record(l: Last, user: Jid, status: string): Promise<void> {
  if (!(await l.ctx.node.accounts.exists(user.local, user.domain))) return;
  await l.store.set(user.local, user.domain, { at: nowSeconds(), status });
}

/** `user_presence_broadcast` with type unavailable: the time and the status text. */
async function presenceUpdate(l: Last, user: Jid, presence: Element): Promise<void> {
  if (presence.attrs.type === 'unavailable') await record(l, user, presence.getChildText('status') ?? '');
}

/** `sm_remove_connection`: a session that ends while available (no unavailable presence sent) counts too. */
async function sessionClosed(l: Last, session: Session): Promise<void> {
  if (session.presence !== null) await record(l, session.jid, '');
}

export const modLast: ModuleSpec<Record<string, never>> = {
  name: 'mod_last',
  xeps: [12],
  options: z.strictObject({}),
  defaultEnabled: true,
  start(ctx) {
    const l: Last = { ctx, store: ctx.node.stores.last() };
    return [
      { iq: 'local', ns: NS_LAST, handler: (iq: Iq) => processLocalIq(l, iq), disc: 'no_queue' },
      { iq: 'sm', ns: NS_LAST, handler: (iq: Iq) => processSmIq(l, iq) },
      { hook: 'user_presence_broadcast', callback: (user: Jid, presence: Element) => presenceUpdate(l, user, presence), priority: 80 },
      { hook: 'sm_remove_connection', callback: (session: Session) => sessionClosed(l, session) },
      { hook: 'remove_user', callback: (_user: string, _host: string, removal: UserRemoval) => l.store.removeUser(removal) },
    ];
  },
};
