/**
 * mod_caps: XEP-0115 entity capabilities of the connected clients, as ejabberd's mod_caps. A
 * broadcast presence with `<c node ver hash/>` ties the session to `ver`; an unknown `ver` is
 * learnt by asking the client itself for disco#info of `node#ver` (once per `ver` at a time),
 * verified (§5.4: the answer must hash to `ver`) and only then cached (node-cache, bounded, with
 * a lifetime; an expired entry is asked for again on the next lookup).
 *
 * The answer comes back through the client's c2s, addressed to the server; this module takes
 * it in `user_send_packet` by its id and sender (a PendingIqs table) before it is routed.
 *
 * Other modules ask through the fold `caps_features` (`(acc: string[] | null, fullJid) →
 * string[] | null`), or with {@link hasFeature}; `caps_add` / `caps_update` (`(fullJid,
 * features)`) run when a session's features become known or change (PEP +notify will use them).
 */
import { z } from 'zod';
import NodeCache from 'node-cache';
import { createElement, type Element } from 'ltx';
import type { Process } from '../../supervision/process.js';
import { parseJid, type Jid } from '../../src/jid.js';
import { childLog } from '../../src/log.js';
import { parseInfo } from '../../src/disco/info.js';
import { capsVer, isSupportedHash, parseCaps, type CapsRef } from '../../src/caps/ver.js';
import { PendingIqs } from '../../src/iq/pending.js';
import { NS_DISCO_INFO } from '../../src/xml/ns.js';
import type { ModuleContext, ModuleSpec } from '../gen_mod.js';
import { STOP, type HookTable } from '../hooks.js';
import { route } from '../router.js';
import type { Session } from '../session_table.js';

interface CapsOptions {
  /** Most `ver`s kept (ejabberd's `cache_size`). */
  cache_size: number;
  /** Seconds a verified `ver` is kept (ejabberd's `cache_life_time`). */
  cache_life_time: number;
  /** Seconds to wait for a client's disco#info answer. */
  query_timeout: number;
}

const options = z.strictObject({
  cache_size: z.number().int().positive().default(1000),
  cache_life_time: z.number().positive().default(3600),
  query_timeout: z.number().positive().default(30),
});

const log = childLog({ actor: 'mod_caps' });

/** The caps each session announced, by c2s pid: outlives a restart of this module, goes with the session. */
const sessionCaps = new WeakMap<Process, CapsRef>();

interface Caps {
  ctx: ModuleContext;
  opts: CapsOptions;
  hostJid: Jid;
  /** `hash\0ver` → verified features. */
  cache: NodeCache;
  pending: PendingIqs;
  /** `hash\0ver` being asked → the sessions waiting for it. */
  learning: Map<string, Jid[]>;
}

const cacheKey = (ref: CapsRef): string => `${ref.hash}\0${ref.ver}`;

function capsOf(c: Caps, user: Jid): CapsRef | undefined {
  const pid = c.ctx.node.sessions.get(user)?.pid;
  return pid ? sessionCaps.get(pid) : undefined;
}

/** `user_presence_broadcast`: remember the session's caps; unavailable forgets them, a presence without `<c/>` keeps them. */
async function presenceUpdate(c: Caps, user: Jid, presence: Element): Promise<void> {
  const pid = c.ctx.node.sessions.get(user)?.pid;
  if (!pid) return;
  if (presence.attrs.type === 'unavailable') return void sessionCaps.delete(pid);
  const ref = parseCaps(presence);
  const previous = sessionCaps.get(pid);
  if (!ref || (previous && cacheKey(previous) === cacheKey(ref))) return;
  sessionCaps.set(pid, ref);
  const features = c.cache.get<string[]>(cacheKey(ref));
  if (features) await announce(c, user, previous ? 'caps_update' : 'caps_add', features);
  else void learn(c, user, ref, previous ? 'caps_update' : 'caps_add');
}

function announce(c: Caps, user: Jid, hook: 'caps_add' | 'caps_update', features: string[]): Promise<void> {
  return c.ctx.node.hooks.run(hook, user.domain, user, features);
}

/** Asks `user` for disco#info of `node#ver`, unless someone is already being asked for this `ver`. */
async function learn(c: Caps, user: Jid, ref: CapsRef, hook: 'caps_add' | 'caps_update'): Promise<void> {
  const key = cacheKey(ref);
  const waiting = c.learning.get(key);
  if (waiting) {
    if (!waiting.some((jid) => jid.equals(user))) waiting.push(user);
    return;
  }
  if (!isSupportedHash(ref.hash)) return;
  c.learning.set(key, [user]);
  try {
    const { id, reply } = c.pending.expect(user, c.opts.query_timeout * 1000);
    const query = createElement('query', { xmlns: NS_DISCO_INFO, node: `${ref.node}#${ref.ver}` });
    await route(c.ctx.node, c.hostJid, user, createElement('iq', { type: 'get', id, from: c.ctx.host, to: user.toString() }, query));
    const features = verified(await reply, ref);
    if (!features) return log.debug({ jid: user.toString(), ver: ref.ver }, 'caps not verified, not cached');
    store(c, key, features);
    for (const jid of c.learning.get(key) ?? []) {
      const now = capsOf(c, jid);
      if (now && cacheKey(now) === key) await announce(c, jid, hook, features);
    }
  } finally {
    c.learning.delete(key);
  }
}

/** §5.4: the features of the answer if it is a disco#info result whose hash is `ver`, else null. */
function verified(answer: Element | null, ref: CapsRef): string[] | null {
  const query = answer?.attrs.type === 'result' ? answer.getChild('query', NS_DISCO_INFO) : undefined;
  if (!query) return null;
  const info = parseInfo(query);
  return capsVer(info, ref.hash) === ref.ver ? info.features : null;
}

/** A full cache makes room by dropping its oldest key (node-cache refuses a set past maxKeys). */
function store(c: Caps, key: string, features: string[]): void {
  if (!c.cache.has(key) && c.cache.keys().length >= c.opts.cache_size) c.cache.del(c.cache.keys()[0] as string);
  c.cache.set(key, features);
}

/** `caps_features`: the verified features of a full JID's client, or `acc` when not (yet) known. */
function capsFeatures(c: Caps, acc: string[] | null, user: Jid): string[] | null {
  const ref = capsOf(c, user);
  if (!ref) return acc;
  const features = c.cache.get<string[]>(cacheKey(ref));
  if (!features) {
    void learn(c, user, ref, 'caps_update');
    return acc;
  }
  return [...(acc ?? []), ...features];
}

/** Does the client at `fullJid` support `feature`, as far as its verified caps say? (false when unknown, or mod_caps is off) */
export async function hasFeature(hooks: HookTable, fullJid: Jid, feature: string): Promise<boolean> {
  const features = await hooks.runFold<string[] | null>('caps_features', fullJid.domain, null, fullJid);
  return features !== STOP && features !== null && features.includes(feature);
}

export const modCaps: ModuleSpec<CapsOptions> = {
  name: 'mod_caps',
  xeps: [115],
  options,
  defaultEnabled: true,
  start(ctx, opts) {
    const c: Caps = {
      ctx,
      opts,
      hostJid: parseJid(ctx.host),
      cache: new NodeCache({ useClones: false, maxKeys: opts.cache_size, stdTTL: opts.cache_life_time, checkperiod: Math.min(600, opts.cache_life_time) }),
      pending: new PendingIqs('caps-'),
      learning: new Map(),
    };
    void ctx.self.exited.then(() => {
      c.pending.clear();
      c.cache.close();
    });
    return [
      { hook: 'user_presence_broadcast', callback: (user: Jid, presence: Element) => presenceUpdate(c, user, presence), priority: 70 },
      { hook: 'user_send_packet', callback: (stanza: Element, user: Jid) => (c.pending.take(stanza, user) ? STOP : stanza), priority: 10 },
      { hook: 'caps_features', callback: (acc: string[] | null, user: Jid) => capsFeatures(c, acc, user) },
      { hook: 'sm_remove_connection', callback: (session: Session) => void sessionCaps.delete(session.pid) },
    ];
  },
};
