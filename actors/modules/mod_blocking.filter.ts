/**
 * mod_blocking's enforcement (XEP-0191 §3.3), at each place a stanza between a user and a JID it
 * blocks can pass. Each check reads the blocklist from memory for users with a session.
 *
 * - `user_send_packet` (the user's c2s, before anything else): a stanza to a blocked JID is not
 *   routed; the client gets not-acceptable with `<blocked xmlns='urn:xmpp:blocking:errors'/>`.
 * - `user_receive_packet` (the user's c2s, before delivery): from a blocked JID, presence is
 *   dropped, a message or an IQ get/set is answered service-unavailable (so the user looks
 *   offline), anything else is dropped. Stanzas that a local user who blocks the recipient
 *   generated without going through its c2s (presence broadcast, probe answers) are dropped too.
 * - `presence_to_user` (sm, presence to the bare JID): dropped, so a blocked contact cannot
 *   subscribe or probe.
 * - `offline_message_hook` (sm, no available resource): not stored; sm bounces it
 *   service-unavailable, as for an online user (ejabberd_sm does the same).
 * - `privacy_check_packet`: 'deny' for every other caller (roster subscription forwarding, …).
 *
 * The user's own account and server are never blocked: a user who blocks its own domain can
 * still talk to its server, and unblock.
 */
import type { Element } from 'ltx';
import { tryParseJid, type Jid } from '../../src/jid.js';
import { stanzaError } from '../../src/stanza/error.js';
import { blockedReply, isBlocked } from '../../src/blocking/blocklist.js';
import type { C2sCast } from '../c2s.js';
import type { ModuleContext } from '../gen_mod.js';
import { STOP } from '../hooks.js';
import { bounce } from '../router.js';
import type { BlockLists } from './mod_blocking.lists.js';

export interface Blocking {
  ctx: ModuleContext;
  lists: BlockLists;
  /** Stanzas already answered: one message to a bare JID reaches each resource's c2s. */
  answered: WeakSet<Element>;
}

type Maybe<T> = T | Promise<T>;
const then = <T, R>(x: Maybe<T>, f: (t: T) => R): Maybe<R> => (x instanceof Promise ? x.then(f) : f(x));

/** The user's own account, or its server. */
const exempt = (user: Jid, other: Jid): boolean => other.domain === user.domain && (other.local === user.local || other.local === '');

/** Does `user` block `other`? */
export function blocks(b: Blocking, user: Jid, other: Jid): Maybe<boolean> {
  if (exempt(user, other)) return false;
  return then(b.lists.of(user), (list) => isBlocked(list, other));
}

/** Does `from`, a local user with a session, block `to`? Unavailable presence and errors pass: they reveal nothing. */
function blockedBySender(b: Blocking, stanza: Element, from: Jid, to: Jid): boolean {
  if (stanza.attrs.type === 'error' || (stanza.name === 'presence' && stanza.attrs.type === 'unavailable')) return false;
  const list = b.lists.cached(from);
  return list !== undefined && !exempt(from, to) && isBlocked(list, to);
}

export function outgoing(b: Blocking, stanza: Element, user: Jid, to: Jid): Maybe<Element | typeof STOP> {
  return then(blocks(b, user, to), (blocked) => {
    if (!blocked) return stanza;
    const reply = blockedReply(stanza);
    if (reply) b.ctx.node.sessions.get(user)?.pid.cast({ type: 'send', element: reply } satisfies C2sCast);
    return STOP;
  });
}

export function incoming(b: Blocking, stanza: Element, user: Jid, from: Jid): Maybe<Element | typeof STOP> {
  if (blockedBySender(b, stanza, from, user)) return STOP;
  const verdict = blocks(b, user, from);
  if (verdict === false) return stanza;
  return (async () => ((await verdict) ? refuse(b, stanza, user, from) : stanza))();
}

/** §3.3: what the blocked sender learns, once per stanza. */
async function refuse(b: Blocking, stanza: Element, user: Jid, from: Jid): Promise<typeof STOP> {
  const type = stanza.attrs.type;
  const answerable = stanza.name === 'iq' ? type === 'get' || type === 'set' : stanza.name === 'message' && type !== 'error' && type !== 'groupchat';
  if (answerable && !b.answered.has(stanza)) {
    b.answered.add(stanza);
    const to = tryParseJid(stanza.attrs.to ?? '') ?? user;
    await bounce(b.ctx.node, from, to, stanza, stanzaError('service-unavailable'));
  }
  return STOP;
}

export function presenceToUser(b: Blocking, handled: boolean, from: Jid, to: Jid, stanza: Element): Maybe<boolean> {
  if (handled) return handled;
  if (blockedBySender(b, stanza, from, to)) return true;
  return blocks(b, to, from);
}

export function offlineMessage(b: Blocking, stored: boolean, from: Jid, to: Jid): Maybe<boolean | typeof STOP> {
  if (stored) return stored;
  return then(blocks(b, to, from), (blocked) => (blocked ? STOP : stored));
}

export function privacyCheck(b: Blocking, acc: string, user: Jid, other: Jid): Maybe<string> {
  if (acc === 'deny') return acc;
  return then(blocks(b, user, other), (blocked) => (blocked ? 'deny' : acc));
}
