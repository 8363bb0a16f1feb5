/**
 * mod_mam: XEP-0313 Message Archive Management for one-to-one chat, with XEP-0059 paging and
 * XEP-0359 stanza ids, as ejabberd's mod_mam. Both sides of a chat or normal message with a
 * body are archived (§5.1.1):
 *
 * - the sender's copy (outgoing) in `user_send_packet`, after the blocking check (priority 88,
 *   as ejabberd), its stanza-id shown to the user's `<sent/>` carbons only (and, for a note to
 *   self, to the receiving session: such a message is archived once);
 * - the recipient's copy (incoming) in `sm_receive_packet`, the fold `ejabberd_sm:route` runs
 *   once per message before choosing sessions or offline storage (ejabberd's spot too). So a
 *   message forked to several resources, or stored offline, is archived once, and every copy —
 *   online, offline, carbons — carries the same `<stanza-id by='user@host'/>` (§3.5). Only
 *   messages the server accepts for the user are archived (§5.1): existing account, not blocked
 *   (`privacy_check_packet`).
 *
 * User preferences (XEP-0441, `default`/`always`/`never`) are honoured at both spots (all in
 * `mod_mam.archive.ts`); queries, forms, preferences and metadata are in `mod_mam.query.ts`.
 * With `retention_days`, expired messages are hidden from queries at once and deleted by a
 * sweep on a timer that lives and dies with this module's process.
 */
import { z } from 'zod';
import type { Element } from 'ltx';
import type { Jid } from '../../src/jid.js';
import { childLog } from '../../src/log.js';
import { NS_MAM, NS_MAM_EXTENDED, NS_SID } from '../../src/mam/ns.js';
import type { ModuleSpec } from '../gen_mod.js';
import type { Iq } from '../iq_handler.js';
import { archiveIncoming, archiveOutgoing, DAY_MS, removeUser, retentionCutoff, stripOwnStanzaId, type Mam, type MamOptions } from './mod_mam.archive.js';
import { processMamIq } from './mod_mam.query.js';
import type { UserRemoval } from '../../src/storage/user_removal.js';
import type { Pending } from '../hooks.js';

const options = z.strictObject({
  default: z.enum(['always', 'roster', 'never']).default('always'),
  retention_days: z.number().min(0).default(0),
  max_page: z.number().int().min(1).max(1000).default(50),
});

const log = childLog({ actor: 'mod_mam' });
const SWEEP_MAX_MS = 3_600_000;
/** ejabberd's: after mod_blocking (10), before mod_carboncopy (89); the strip after everyone. */
const OUTGOING_PRIORITY = 88;
const STRIP_PRIORITY = 500;

/** Retention: a sweep now and then while this module lives (its exit clears the timer). */
function startSweeper(m: Mam): void {
  const every = Math.min(SWEEP_MAX_MS, Math.max(1000, (m.opts.retention_days * DAY_MS) / 4));
  let timer: NodeJS.Timeout | undefined;
  const sweep = async (): Promise<void> => {
    const removed = await m.store.expire(m.ctx.host, retentionCutoff(m));
    if (removed > 0) log.info({ host: m.ctx.host, removed }, 'expired archived messages deleted');
  };
  const tick = (): void => {
    sweep()
      .catch((err: unknown) => log.error({ err, host: m.ctx.host }, 'archive retention sweep failed'))
      .finally(() => {
        if (m.ctx.self.alive) (timer = setTimeout(tick, every)).unref();
      });
  };
  (timer = setTimeout(tick, Math.min(every, 5000))).unref();
  void m.ctx.self.exited.then(() => clearTimeout(timer));
}

const rootFeatures = (acc: string[] | null, node: string): string[] | null =>
  node === '' ? [...(acc ?? []), NS_MAM, NS_MAM_EXTENDED, NS_SID] : acc;

export const modMam: ModuleSpec<MamOptions> = {
  name: 'mod_mam',
  xeps: [313, 59, 359, 441],
  options,
  defaultEnabled: true,
  start(ctx, opts) {
    const m: Mam = { ctx, opts, store: ctx.node.stores.mam(), prefsCache: new Map() };
    if (opts.retention_days > 0) startSweeper(m);
    return [
      { iq: 'sm', ns: NS_MAM, handler: (iq: Iq) => processMamIq(m, iq) },
      {
        hook: 'user_send_packet',
        callback: (stanza: Element, user: Jid, to: Jid, pending: Pending) => (stanza.name === 'message' ? archiveOutgoing(m, stanza, user, to, pending) : stanza),
        priority: OUTGOING_PRIORITY,
      },
      { hook: 'user_send_packet', callback: (stanza: Element, user: Jid, to: Jid) => stripOwnStanzaId(stanza, user, to), priority: STRIP_PRIORITY },
      { hook: 'sm_receive_packet', callback: (stanza: Element, from: Jid, to: Jid, pending: Pending) => archiveIncoming(m, stanza, from, to, pending) },
      { hook: 'disco_sm_features', callback: (acc: string[] | null, _from: Jid, _to: Jid, node: string) => rootFeatures(acc, node) },
      { hook: 'remove_user', callback: (_user: string, _host: string, removal: UserRemoval) => removeUser(m, removal) },
    ];
  },
};
