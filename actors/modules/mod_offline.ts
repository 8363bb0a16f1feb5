/**
 * mod_offline: XEP-0160 offline messages. A chat or normal message with a body, for an
 * existing user with no available resource, is stored (through `offline_message_hook`) with a
 * XEP-0203 <delay/>, up to `max_user_offline_messages` per user; past the limit it is refused and
 * the sender gets service-unavailable (RFC 6121 §8.5.2.2.1). At initial presence with a
 * non-negative priority the messages are handed to the new session in order, then deleted in
 * one batch: delivered once.
 */
import { z } from 'zod';
import { clone, createElement, parse, type Element } from 'ltx';
import { tryParseJid, type Jid } from '../../src/jid.js';
import { childLog } from '../../src/log.js';
import type { ModuleContext, ModuleSpec } from '../gen_mod.js';
import { deliver } from '../sm.js';
import type { OfflineStore } from './mod_offline.store.js';
import type { UserRemoval } from '../../src/storage/user_removal.js';

/** XEP-0203 */
export const NS_DELAY = 'urn:xmpp:delay';

export interface OfflineOptions {
  max_user_offline_messages: number;
  /** fsync each stored message (off by default: ejabberd's offline spool is not fsynced either). */
  sync_writes: boolean;
}

const log = childLog({ actor: 'mod_offline' });

/** XEP-0160 §3: what is worth keeping for later. */
export function isStorable(stanza: Element): boolean {
  const type = stanza.attrs.type ?? 'normal';
  return stanza.name === 'message' && (type === 'chat' || type === 'normal') && stanza.getChild('body') !== undefined;
}

/** XEP-0203 §3: the message with `<delay from=host stamp=UTC/>`. Pure: `stanza` is not modified. */
export function withDelay(stanza: Element, host: string, now: Date): Element {
  const copy = clone(stanza);
  copy.append(createElement('delay', { xmlns: NS_DELAY, from: host, stamp: now.toISOString() }, 'Offline Storage'));
  return copy;
}

interface Offline {
  ctx: ModuleContext;
  opts: OfflineOptions;
  store: OfflineStore;
}

/** `offline_message_hook` (fold, acc false): true once stored. */
async function storeOfflineMessage(o: Offline, stored: boolean, from: Jid, to: Jid, stanza: Element): Promise<boolean> {
  if (stored || !isStorable(stanza)) return stored;
  if (!(await o.ctx.node.accounts.exists(to.local, to.domain))) return false;
  const message = { xml: withDelay(stanza, to.domain, new Date()).toString(), from: from.toString() };
  const kept = await o.store.store(to.local, to.domain, message, o.opts.max_user_offline_messages);
  if (!kept) log.warn({ user: to.bareString(), from: from.toString(), limit: o.opts.max_user_offline_messages }, 'offline storage full: message refused');
  return kept;
}

/** `user_presence_broadcast` on initial presence: the stored messages, oldest first, to this session. */
async function resendOfflineMessages(o: Offline, user: Jid, initial: boolean): Promise<void> {
  const session = o.ctx.node.sessions.get(user);
  if (!initial || !session || session.priority === null || session.priority < 0) return;
  await o.store.pop(user.local, user.domain, (messages) => {
    for (const m of messages) {
      try {
        deliver(session, tryParseJid(m.from) ?? user.bare(), user, parse(m.xml));
      } catch (err) {
        log.error({ err, user: user.toString() }, 'unreadable offline message dropped');
      }
    }
  });
}

const options = z.strictObject({
  max_user_offline_messages: z.number().int().min(0).default(1000),
  sync_writes: z.boolean().default(false),
});

export const modOffline: ModuleSpec<OfflineOptions> = {
  name: 'mod_offline',
  xeps: [160, 203],
  options,
  defaultEnabled: true,
  start(ctx, opts) {
    const o: Offline = { ctx, opts, store: ctx.node.stores.offline({ sync: opts.sync_writes }) };
    return [
      { hook: 'offline_message_hook', callback: (acc: boolean, from: Jid, to: Jid, stanza: Element) => storeOfflineMessage(o, acc, from, to, stanza) },
      { hook: 'user_presence_broadcast', callback: (user: Jid, _p: Element, initial: boolean) => resendOfflineMessages(o, user, initial), priority: 70 },
      { hook: 'remove_user', callback: (_user: string, _host: string, removal: UserRemoval) => o.store.removeUser(removal) },
    ];
  },
};
