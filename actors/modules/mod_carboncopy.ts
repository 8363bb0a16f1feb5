/**
 * mod_carboncopy: XEP-0280 Message Carbons, as ejabberd's mod_carboncopy. A session turns
 * Carbons on and off with an IQ to its own bare JID (§4, §5; sm IQ table, so the feature shows
 * in the server's disco). What a user sends is copied as `<sent/>` to its other Carbons-enabled
 * sessions in `user_send_packet` (§8); what it receives, as `<received/>` in
 * `user_receive_packet` of the session it was delivered to (§7), where exactly one session per
 * message copies (see `receivedCopyTargets`). Rules and wrappers are in src/carbons.
 *
 * Both hooks run late (ejabberd's priority 89): after mod_blocking has dropped what a blocked
 * JID sends or is sent, and after mod_client_state, which may hold a stanza back and deliver it
 * again (it is copied when it is really delivered, once).
 */
import { z } from 'zod';
import type { Element } from 'ltx';
import { tryParseJid, type Jid } from '../../src/jid.js';
import { stanzaError } from '../../src/stanza/error.js';
import {
  carbonCopy, isEligible, isPrivate, NS_CARBONS, receivedCopyTargets, sentCopyTargets, withoutPrivate, type Direction, type ResourceView,
} from '../../src/carbons/carbons.js';
import type { ModuleContext, ModuleSpec } from '../gen_mod.js';
import type { Iq, IqAnswer } from '../iq_handler.js';
import { deliver } from '../sm.js';
import type { Session } from '../session_table.js';

/** ejabberd's mod_carboncopy hook priority: after privacy/blocking and CSI. */
const PRIORITY = 89;

/** Session info (ejabberd's `carboncopy`): outlives a restart of this module, goes with the session, seen cluster-wide. */
const CARBONS = 'carboncopy';

/** §4, §5: `<enable/>` or `<disable/>`, set, by the session itself; again is no error (§10.1). */
function processIq(ctx: ModuleContext, iq: Iq): IqAnswer {
  if (!iq.to.equals(iq.from.bare())) return stanzaError('not-allowed', 'a client may only change its own Carbons');
  if (iq.type !== 'set') return stanzaError('not-allowed', "Carbons are changed with type 'set'");
  const session = ctx.node.sessions.get(iq.from);
  if (!session) return stanzaError('not-allowed', 'no session');
  switch (iq.payload.name) {
    case 'enable': ctx.node.sessions.setInfo(session.pid, CARBONS, true); return null;
    case 'disable': ctx.node.sessions.setInfo(session.pid, CARBONS, undefined); return null;
    default: return stanzaError('bad-request', 'expected <enable/> or <disable/>');
  }
}

interface Resource extends ResourceView {
  session: Session;
}

function resources(ctx: ModuleContext, user: Jid): Resource[] {
  return ctx.node.sessions.resources(user.bare()).map((session) => ({
    session, jid: session.jid, priority: session.priority, carbons: session.info[CARBONS] === true,
  }));
}

function send(direction: Direction, targets: readonly Resource[], stanza: Element, user: Jid): void {
  const bare = user.bare();
  for (const { session } of targets) deliver(session, bare, session.jid, carbonCopy(direction, stanza, user, session.jid));
}

/**
 * `user_send_packet`, §8. A message to the user's own account is left to the receiving side
 * (copied as received, once), so the other sessions do not see it twice.
 */
function sent(ctx: ModuleContext, stanza: Element, user: Jid, to: Jid): Element {
  if (!isEligible(stanza) || (to.local === user.local && to.domain === user.domain)) return stanza;
  send('sent', sentCopyTargets(resources(ctx, user), user), stanza, user);
  return stanza;
}

/** `user_receive_packet` in the session `user`, §7; a `<private/>` message is delivered without it (§9). */
function received(ctx: ModuleContext, stanza: Element, user: Jid, from: Jid): Element {
  if (stanza.name !== 'message') return stanza;
  if (isPrivate(stanza)) return withoutPrivate(stanza);
  if (!isEligible(stanza)) return stanza;
  const addressed = tryParseJid(stanza.attrs.to ?? '');
  send('received', receivedCopyTargets(resources(ctx, user), user, addressed, from), stanza, user);
  return stanza;
}

export const modCarboncopy: ModuleSpec<Record<string, never>> = {
  name: 'mod_carboncopy',
  xeps: [280],
  options: z.strictObject({}),
  defaultEnabled: true,
  start(ctx) {
    return [
      { iq: 'sm', ns: NS_CARBONS, handler: (iq: Iq) => processIq(ctx, iq), disc: 'no_queue' },
      { hook: 'user_send_packet', callback: (stanza: Element, user: Jid, to: Jid) => sent(ctx, stanza, user, to), priority: PRIORITY },
      { hook: 'user_receive_packet', callback: (stanza: Element, user: Jid, from: Jid) => received(ctx, stanza, user, from), priority: PRIORITY },
    ];
  },
};
