/**
 * mod_pep: XEP-0163 Personal Eventing Protocol, the PEP part of ejabberd's mod_pubsub. Every
 * account is a pubsub service on its bare JID (sm IQ handlers for `pubsub` and `pubsub#owner`)
 * with auto-created nodes; publish-options (XEP-0060 §7.1.5) set or check a node's
 * configuration, as XEP-0402 bookmarks and XEP-0223 private storage need. Notifications go,
 * as headline messages from the owner, to the available resources of the owner and (unless the
 * node is whitelist) of the contacts subscribed to the owner's presence, whose entity caps
 * (mod_caps) include `node+notify` (§4.3 filtered notifications). When a client's caps become
 * known, it gets the last item of each node it wants from its own account and the accounts it
 * receives presence from (§6.1.2). Items persist in LevelDB, at most `max_items` per node.
 * XEP-0411: XEP-0048 bookmarks are kept in step between private storage (mod_private's
 * `private_set`) and the PEP node `storage:bookmarks`.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { createElement, type Element } from 'ltx';
import { jid, type Jid } from '../../src/jid.js';
import { isStanzaError, stanzaError, type StanzaError } from '../../src/stanza/error.js';
import {
  NODE_LEGACY_BOOKMARKS, NS_BOOKMARKS_CONVERSION, NS_NODE_CONFIG, NS_PUBLISH_OPTIONS, NS_PUBSUB, NS_PUBSUB_OWNER, notifyFeature, notifyNodes,
} from '../../src/pep/ns.js';
import { configForm, DEFAULT_CONFIG, isFieldProblem, parseConfigForm, type AccessModel, type NodeConfig } from '../../src/pep/config.js';
import { parsePepRequest, type PepRequest } from '../../src/pep/request.js';
import { configureNode, createNode, publishItem, purgeNode, retractItems, selectItems, type PepItem, type PepNode } from '../../src/pep/node.js';
import { accessError, mayAccess, type Requester } from '../../src/pep/access.js';
import { pubsubError } from '../../src/pep/errors.js';
import { deleteEvent, itemsEvent, itemsResult, notification, publishResult, purgeEvent, retractEvent } from '../../src/pep/event.js';
import type { ModuleContext, ModuleSpec } from '../gen_mod.js';
import type { Iq, IqAnswer } from '../iq_handler.js';
import { STOP } from '../hooks.js';
import { route } from '../router.js';
import { hasFeature } from './mod_caps.js';
import { subscriptionLists } from './mod_presence.js';
import type { JidInfo } from './mod_roster.js';
import type { FeaturesAcc, Identity, ItemsAcc } from './mod_disco.js';
import type { PepStore } from './mod_pep.store.js';
import type { PrivateStore, StoredFragment } from './mod_private.store.js';
import type { UserRemoval } from '../../src/storage/user_removal.js';

export interface PepOptions {
  /** Most items a node keeps (`pubsub#max_items` = `max`), ejabberd's `max_items_node`. */
  max_items_node: number;
  /** Bytes of one item's payload (XML, UTF-8), ejabberd's `max_payload_size`. */
  max_payload_size: number;
  iqdisc: 'no_queue' | 'one_queue' | 'parallel';
}

const options = z.strictObject({
  max_items_node: z.number().int().positive().default(1000),
  max_payload_size: z.number().int().positive().default(250_000),
  iqdisc: z.enum(['no_queue', 'one_queue', 'parallel']).default('one_queue'),
});

/** What disco shows on an account (XEP-0163 §9, XEP-0060 §10). */
const FEATURES = [
  'access-open', 'access-presence', 'access-whitelist', 'auto-create', 'auto-subscribe', 'config-node', 'create-nodes', 'delete-nodes',
  'filtered-notifications', 'item-ids', 'last-published', 'multi-items', 'persistent-items', 'publish', 'publish-options', 'purge-nodes',
  'retract-items', 'retrieve-items',
].map((f) => `${NS_PUBSUB}#${f}`);

interface Pep {
  ctx: ModuleContext;
  opts: PepOptions;
  store: PepStore;
  /** mod_private's storage, for the XEP-0411 copy of XEP-0048 bookmarks. */
  privateStore: PrivateStore;
}

/** The asker as the owner's roster sees it (`roster_get_jid_info`). */
async function requester(p: Pep, owner: Jid, from: Jid): Promise<Requester> {
  if (from.bare().equals(owner)) return { owner: true };
  const info = await p.ctx.node.hooks.runFold<JidInfo | null>('roster_get_jid_info', owner.domain, null, owner, from.bare());
  return { owner: false, subscription: info !== STOP && info ? info.subscription : 'none' };
}

/** §4.3: the available resources of the owner and (unless whitelist) its presence subscribers whose caps ask for `node`. */
async function recipients(p: Pep, owner: Jid, node: string, model: AccessModel): Promise<Jid[]> {
  const contacts = model === 'whitelist' ? [] : (await subscriptionLists(p.ctx, owner)).from;
  const out: Jid[] = [];
  for (const account of [owner, ...contacts]) {
    for (const s of p.ctx.node.sessions.resources(account.bare())) {
      if (s.priority !== null && (await hasFeature(p.ctx.node.hooks, s.jid, notifyFeature(node)))) out.push(s.jid);
    }
  }
  return out;
}

async function broadcast(p: Pep, owner: Jid, node: string, model: AccessModel, event: Element): Promise<void> {
  for (const to of await recipients(p, owner, node, model)) await route(p.ctx.node, owner, to, notification(owner, to, event, randomUUID()));
}

/** A form's configuration; a field this service cannot apply is `problem`'s error. */
function wantedConfig(p: Pep, x: Element | undefined, formType: string, problem: StanzaError): Partial<NodeConfig> | StanzaError {
  if (!x) return {};
  const wanted = parseConfigForm(x, formType, p.opts.max_items_node);
  return isFieldProblem(wanted) ? { ...problem, text: `${wanted.field}: not supported as given` } : wanted;
}

const change = (p: Pep, owner: Jid, node: string, f: (n: PepNode | undefined) => PepNode | null | StanzaError) =>
  p.store.update(owner.local, owner.domain, node, f);

async function publish(p: Pep, owner: Jid, r: Extract<PepRequest, { op: 'publish' }>): Promise<IqAnswer> {
  const wanted = wantedConfig(p, r.options, NS_PUBLISH_OPTIONS, pubsubError('conflict', 'precondition-not-met'));
  if (isStanzaError(wanted)) return wanted;
  const item = { id: r.id ?? randomUUID(), xml: r.payload.toString() };
  if (Buffer.byteLength(item.xml) > p.opts.max_payload_size) return pubsubError('not-acceptable', 'payload-too-big');
  const published = await publishAndNotify(p, owner, r.node, item, wanted);
  if (published) return published;
  if (r.node === NODE_LEGACY_BOOKMARKS && r.payload.is('storage', NODE_LEGACY_BOOKMARKS)) {
    // XEP-0411: the private-storage copy follows (no size bound here: the PEP payload limit held)
    await p.privateStore.set(owner.local, owner.domain, [{ name: 'storage', ns: NODE_LEGACY_BOOKMARKS, xml: item.xml }], Number.MAX_SAFE_INTEGER);
  }
  return publishResult(r.node, item.id);
}

/** Stores the item (creating the node with `wanted`) and notifies it; an error if the node refused it. */
async function publishAndNotify(p: Pep, owner: Jid, node: string, item: PepItem, wanted: Partial<NodeConfig>): Promise<StanzaError | null> {
  const next = await change(p, owner, node, (n) => publishItem(n, item, wanted, DEFAULT_CONFIG));
  if (isStanzaError(next) || next === null) return next ?? stanzaError('internal-server-error');
  await broadcast(p, owner, node, next.config.access_model, itemsEvent(node, [item]));
  return null;
}

/** `private_set` (XEP-0411): XEP-0048 bookmarks stored with XEP-0049 become the PEP item `current` (XEP-0223 options on a new node). */
async function mirrorPrivateBookmarks(p: Pep, user: string, host: string, fragments: StoredFragment[]): Promise<void> {
  const bookmarks = fragments.find((f) => f.name === 'storage' && f.ns === NODE_LEGACY_BOOKMARKS);
  if (!bookmarks) return;
  const wanted: Partial<NodeConfig> = { access_model: 'whitelist', persist_items: true };
  const owner = jid(user, host);
  const node = await p.store.node(user, host, NODE_LEGACY_BOOKMARKS);
  await publishAndNotify(p, owner, NODE_LEGACY_BOOKMARKS, { id: 'current', xml: bookmarks.xml }, node ? {} : wanted);
}

async function items(p: Pep, owner: Jid, from: Jid, r: Extract<PepRequest, { op: 'items' }>): Promise<IqAnswer> {
  const node = await p.store.node(owner.local, owner.domain, r.node);
  if (!node) return stanzaError('item-not-found', 'no such node');
  return accessError(node.config.access_model, await requester(p, owner, from)) ?? itemsResult(r.node, selectItems(node, r.ids, r.maxItems));
}

/** Applies a change and, when it took, notifies `event` with the configuration before the change (a deleted node has none after). */
async function changeAndNotify(p: Pep, owner: Jid, node: string, f: (n: PepNode | undefined) => PepNode | null | StanzaError, event: Element): Promise<IqAnswer> {
  let model: AccessModel = DEFAULT_CONFIG.access_model;
  const next = await change(p, owner, node, (n) => {
    if (n) model = n.config.access_model;
    return f(n);
  });
  if (isStanzaError(next)) return next;
  await broadcast(p, owner, node, model, event);
  return null;
}

async function configure(p: Pep, owner: Jid, r: Extract<PepRequest, { op: 'configure-get' | 'configure-set' }>): Promise<IqAnswer> {
  if (r.op === 'configure-get') {
    const node = await p.store.node(owner.local, owner.domain, r.node);
    if (!node) return stanzaError('item-not-found', 'no such node');
    return createElement('pubsub', { xmlns: NS_PUBSUB_OWNER }, createElement('configure', { node: r.node }, configForm(node.config)));
  }
  if (r.config.attrs.type === 'cancel') return null;
  const wanted = wantedConfig(p, r.config, NS_NODE_CONFIG, stanzaError('not-acceptable'));
  if (isStanzaError(wanted)) return wanted;
  const next = await change(p, owner, r.node, (n) => configureNode(n, wanted));
  return isStanzaError(next) ? next : null;
}

/** XEP-0060 §6–8 as PEP offers them: anyone allowed by the access model reads items; everything else is the owner's. */
async function processIq(p: Pep, iq: Iq): Promise<IqAnswer> {
  const r = parsePepRequest(iq.type, iq.payload);
  if (isStanzaError(r)) return r;
  const owner = iq.to.bare();
  if (r.op === 'items') return items(p, owner, iq.from, r);
  if (!iq.from.bare().equals(owner)) return stanzaError('forbidden', "another account's PEP service");
  switch (r.op) {
    case 'publish':
      return publish(p, owner, r);
    case 'retract':
      return changeAndNotify(p, owner, r.node, (n) => retractItems(n, r.ids), retractEvent(r.node, r.ids));
    case 'create': {
      const wanted = wantedConfig(p, r.config, NS_NODE_CONFIG, stanzaError('not-acceptable'));
      if (isStanzaError(wanted)) return wanted;
      const next = await change(p, owner, r.node, (n) => createNode(n, wanted, DEFAULT_CONFIG));
      return isStanzaError(next) ? next : null;
    }
    case 'configure-get':
    case 'configure-set':
      return configure(p, owner, r);
    case 'delete':
      return changeAndNotify(p, owner, r.node, (n) => n ? null : stanzaError('item-not-found', 'no such node'), deleteEvent(r.node));
    case 'purge':
      return changeAndNotify(p, owner, r.node, purgeNode, purgeEvent(r.node));
  }
}

/**
 * `caps_add` / `caps_update` (§6.1.2): a client whose caps are now known gets the last item of
 * every node it wants (`+notify`) on its own account and on the accounts it receives presence from.
 */
async function sendLastItems(p: Pep, user: Jid, features: string[]): Promise<void> {
  const wanted = notifyNodes(features);
  if (wanted.length === 0) return;
  const accounts = [user.bare(), ...(await subscriptionLists(p.ctx, user)).to].filter((a) => p.ctx.node.hosts.includes(a.domain));
  for (const owner of accounts) {
    const who = await requester(p, owner, user);
    for (const name of wanted) {
      const node = await p.store.node(owner.local, owner.domain, name);
      const last = node?.items.at(-1);
      if (!node || !last || node.config.send_last_published_item !== 'on_sub_and_presence' || !mayAccess(node.config.access_model, who)) continue;
      await route(p.ctx.node, owner, user, notification(owner, user, itemsEvent(name, [last]), randomUUID()));
    }
  }
}

/** An account's PEP identity (XEP-0163 §9), only on accounts that exist. */
async function identity(p: Pep, acc: Identity[], to: Jid, node: string): Promise<Identity[]> {
  if (node !== '' || !(await p.ctx.node.accounts.exists(to.local, to.domain))) return acc;
  return [...acc, { category: 'pubsub', type: 'pep' }];
}

/** The account's nodes, for the owner only (XEP-0060 §5.2; others learn of nodes by notifications). */
async function nodeItems(p: Pep, acc: ItemsAcc, from: Jid, to: Jid, node: string): Promise<ItemsAcc> {
  if (node !== '' || !from.bare().equals(to.bare())) return acc;
  const names = await p.store.nodes(to.local, to.domain);
  return [...(acc ?? []), ...names.map((name) => ({ jid: to.bareString(), node: name }))];
}

export const modPep: ModuleSpec<PepOptions> = {
  name: 'mod_pep',
  xeps: [60, 163, 223, 402, 411, 84, 172],
  options,
  defaultEnabled: true,
  start(ctx, opts) {
    const p: Pep = { ctx, opts, store: ctx.node.stores.pep(), privateStore: ctx.node.stores.private() };
    const handler = (iq: Iq) => processIq(p, iq);
    return [
      { iq: 'sm', ns: NS_PUBSUB, handler, disc: opts.iqdisc },
      { iq: 'sm', ns: NS_PUBSUB_OWNER, handler, disc: opts.iqdisc },
      { hook: 'caps_add', callback: (user: Jid, features: string[]) => sendLastItems(p, user, features) },
      { hook: 'caps_update', callback: (user: Jid, features: string[]) => sendLastItems(p, user, features) },
      // After mod_disco's (100): the account's own identity comes first.
      { hook: 'disco_sm_identity', callback: (acc: Identity[], _from: Jid, to: Jid, node: string) => identity(p, acc, to, node), priority: 110 },
      {
        hook: 'disco_sm_features',
        callback: (acc: FeaturesAcc, _from: Jid, _to: Jid, node: string) => (node === '' ? [...(acc ?? []), NS_PUBSUB, NS_BOOKMARKS_CONVERSION, ...FEATURES] : acc),
        priority: 110,
      },
      { hook: 'disco_sm_items', callback: (acc: ItemsAcc, from: Jid, to: Jid, node: string) => nodeItems(p, acc, from, to, node), priority: 110 },
      { hook: 'private_set', callback: (user: string, host: string, fragments: StoredFragment[]) => mirrorPrivateBookmarks(p, user, host, fragments) },
      { hook: 'remove_user', callback: (_user: string, _host: string, removal: UserRemoval) => p.store.removeUser(removal) },
    ];
  },
};
