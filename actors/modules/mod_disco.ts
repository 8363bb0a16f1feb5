/**
 * mod_disco: XEP-0030 service discovery on the server (local IQ table) and on users' bare JIDs
 * (sm IQ table), as ejabberd's mod_disco. The server's features are what runs on the host: the
 * namespaces of every IQ handler registered in the local and sm tables, plus what modules add
 * through the `disco_local_features` fold; a module disabled in troupe.yml registers nothing,
 * so its feature is not advertised. Everything is a fold, so any module can add to it:
 *
 * - `disco_local_identity` / `disco_sm_identity`: `(acc: Identity[], from, to, node) → Identity[]`
 * - `disco_local_features` / `disco_sm_features`: `(acc: string[] | null, from, to, node) → string[] | null`;
 *   at the root node acc starts as `[]`; at any other node as `null`, and a node no module
 *   claims (still `null`) is answered item-not-found (§3.3 Example 7 condition).
 * - `disco_local_items` / `disco_sm_items`: `(acc: DiscoItem[] | null, from, to, node)`, the same way.
 * - `disco_info`: `(acc: Element[], from, to, node) → Element[]`: XEP-0128 forms.
 */
import { z } from 'zod';
import type { Element } from 'ltx';
import type { Jid } from '../../src/jid.js';
import { stanzaError, type StanzaError } from '../../src/stanza/error.js';
import { infoQuery, itemsQuery, type DiscoItem, type Identity } from '../../src/disco/info.js';
import { NS_DISCO_INFO, NS_DISCO_ITEMS } from '../../src/xml/ns.js';
import type { ModuleContext, ModuleSpec } from '../gen_mod.js';
import type { Iq, IqAnswer } from '../iq_handler.js';
import { STOP } from '../hooks.js';
import type { JidInfo } from './mod_roster.js';

export type { DiscoItem, Identity };
export type FeaturesAcc = string[] | null;
export type ItemsAcc = DiscoItem[] | null;

interface DiscoOptions {
  /** The name of the server's identity (ejabberd: `name`, default "ejabberd"). */
  name: string;
  /** Extra items of the server (e.g. a component's domain), as ejabberd's `extra_domains`. */
  extra_domains: string[];
}

const options = z.strictObject({
  name: z.string().min(1).default('Troupe'),
  extra_domains: z.array(z.string().min(1)).default([]),
});

type Scope = 'local' | 'sm';

async function fold<A>(ctx: ModuleContext, hook: string, acc: A, iq: Iq, node: string): Promise<A> {
  const result = await ctx.node.hooks.runFold<A>(hook, iq.to.domain, acc, iq.from, iq.to, node);
  return result === STOP ? acc : result;
}

/** Only `get`, and only `<query/>` (ejabberd answers `set` with not-allowed). */
function checkRequest(iq: Iq): StanzaError | null {
  if (iq.type !== 'get') return stanzaError('not-allowed', "disco is 'get' only");
  if (iq.payload.name !== 'query') return stanzaError('bad-request', 'expected <query/>');
  return null;
}

/** §3.1: identities, features (unknown node → item-not-found) and XEP-0128 forms. */
async function processInfo(ctx: ModuleContext, scope: Scope, iq: Iq): Promise<IqAnswer> {
  const bad = checkRequest(iq) ?? (scope === 'sm' ? await checkSubscribed(ctx, iq) : null);
  if (bad) return bad;
  const node = iq.payload.attrs.node ?? '';
  const features = await fold<FeaturesAcc>(ctx, `disco_${scope}_features`, node === '' ? [] : null, iq, node);
  if (features === null) return stanzaError('item-not-found', 'no such node');
  const identities = await fold<Identity[]>(ctx, `disco_${scope}_identity`, [], iq, node);
  const forms = await fold<Element[]>(ctx, 'disco_info', [], iq, node);
  return infoQuery(node, { identities, features, forms });
}

/** §4.1: the items of a node (unknown node → item-not-found). */
async function processItems(ctx: ModuleContext, scope: Scope, iq: Iq): Promise<IqAnswer> {
  const bad = checkRequest(iq) ?? (scope === 'sm' ? await checkSubscribed(ctx, iq) : null);
  if (bad) return bad;
  const node = iq.payload.attrs.node ?? '';
  const items = await fold<ItemsAcc>(ctx, `disco_${scope}_items`, node === '' ? [] : null, iq, node);
  if (items === null) return stanzaError('item-not-found', 'no such node');
  return itemsQuery(node, items);
}

/**
 * `mod_roster:is_subscribed`: the server answers for an account to the account itself and to
 * the entities on its roster with a subscription; anyone else learns nothing about it (not
 * even whether it exists) and gets subscription-required, as ejabberd answers.
 */
async function checkSubscribed(ctx: ModuleContext, iq: Iq): Promise<StanzaError | null> {
  if (iq.from.bare().equals(iq.to.bare())) return null;
  const info = await ctx.node.hooks.runFold<JidInfo | null>('roster_get_jid_info', iq.to.domain, null, iq.to.bare(), iq.from.bare());
  if (info !== STOP && info !== null && info.subscription !== 'none') return null;
  return stanzaError('subscription-required', 'not subscribed');
}

/** The server's features: what the IQ tables hold for this host, and what the fold added. */
function localFeatures(ctx: ModuleContext, acc: FeaturesAcc, node: string): FeaturesAcc {
  if (node !== '') return acc;
  const { node: n, host } = ctx;
  return [...(acc ?? []), NS_DISCO_INFO, NS_DISCO_ITEMS, ...n.localIq.namespaces(host), ...n.sessions.iq.namespaces(host)];
}

/** An account: `account/registered` if it exists (ejabberd's `get_sm_identity`). */
async function smIdentity(ctx: ModuleContext, acc: Identity[], to: Jid): Promise<Identity[]> {
  return (await ctx.node.accounts.exists(to.local, to.domain)) ? [...acc, { category: 'account', type: 'registered' }] : acc;
}

/** An account's root items: its connected resources (ejabberd's `get_sm_items`; the asker passed `checkSubscribed`). */
function smItems(ctx: ModuleContext, acc: ItemsAcc, to: Jid, node: string): ItemsAcc {
  if (node !== '') return acc;
  const resources = ctx.node.sessions.resources(to.bare()).map((s) => s.jid.toString()).sort();
  return [...(acc ?? []), ...resources.map((jid) => ({ jid, name: to.local }))];
}

export const modDisco: ModuleSpec<DiscoOptions> = {
  name: 'mod_disco',
  xeps: [30],
  options,
  defaultEnabled: true,
  start(ctx, opts) {
    const root = <A>(node: string, acc: A, f: () => A): A => (node === '' ? f() : acc);
    return [
      { iq: 'local', ns: NS_DISCO_INFO, handler: (iq: Iq) => processInfo(ctx, 'local', iq), disc: 'no_queue' },
      { iq: 'local', ns: NS_DISCO_ITEMS, handler: (iq: Iq) => processItems(ctx, 'local', iq), disc: 'no_queue' },
      { iq: 'sm', ns: NS_DISCO_INFO, handler: (iq: Iq) => processInfo(ctx, 'sm', iq), disc: 'no_queue' },
      { iq: 'sm', ns: NS_DISCO_ITEMS, handler: (iq: Iq) => processItems(ctx, 'sm', iq), disc: 'no_queue' },
      {
        hook: 'disco_local_identity',
        callback: (acc: Identity[], _from: Jid, _to: Jid, node: string) =>
          root(node, acc, () => [...acc, { category: 'server', type: 'im', name: opts.name }]),
        priority: 100,
      },
      { hook: 'disco_local_features', callback: (acc: FeaturesAcc, _f: Jid, _t: Jid, node: string) => localFeatures(ctx, acc, node), priority: 100 },
      {
        hook: 'disco_local_items',
        callback: (acc: ItemsAcc, _from: Jid, _to: Jid, node: string) =>
          root(node, acc, () => [...(acc ?? []), ...opts.extra_domains.map((jid) => ({ jid }))]),
        priority: 100,
      },
      { hook: 'disco_sm_identity', callback: (acc: Identity[], _from: Jid, to: Jid) => smIdentity(ctx, acc, to), priority: 100 },
      {
        hook: 'disco_sm_features',
        callback: (acc: FeaturesAcc, _from: Jid, _to: Jid, node: string) => root(node, acc, () => [...(acc ?? []), NS_DISCO_INFO, NS_DISCO_ITEMS]),
        priority: 100,
      },
      { hook: 'disco_sm_items', callback: (acc: ItemsAcc, _from: Jid, to: Jid, node: string) => smItems(ctx, acc, to, node), priority: 100 },
    ];
  },
};
