/**
 * mod_private: XEP-0049 private XML storage. A user stores and reads XML fragments, each keyed
 * by its root element's name and namespace, on its own account only (another account:
 * forbidden, §2.3); reserved namespaces are refused with not-acceptable (§2.3), a query without
 * a fragment with bad-request (§3). Storage is bounded per user (`max_private_size` bytes of XML
 * in all; past it: policy-violation, the condition RFC 6120 §8.3.3.12 gives a local policy).
 */
import { z } from 'zod';
import { clone, createElement, parse } from 'ltx';
import { stanzaError } from '../../src/stanza/error.js';
import { NS_PRIVATE, queryFragments, type Fragment } from '../../src/private/fragments.js';
import type { ModuleContext, ModuleSpec } from '../gen_mod.js';
import type { Iq, IqAnswer } from '../iq_handler.js';
import type { PrivateStore } from './mod_private.store.js';
import type { UserRemoval } from '../../src/storage/user_removal.js';

export interface PrivateOptions {
  /** Bytes of stored XML (UTF-8) a user may keep, all fragments together. */
  max_private_size: number;
}

interface Private {
  ctx: ModuleContext;
  opts: PrivateOptions;
  store: PrivateStore;
}

async function processIq(p: Private, iq: Iq): Promise<IqAnswer> {
  if (iq.from.local !== iq.to.local || iq.from.domain !== iq.to.domain) {
    return stanzaError('forbidden', "private storage of another account");
  }
  if (iq.payload.name !== 'query') return stanzaError('bad-request', 'expected <query/>');
  const fragments = queryFragments(iq.payload);
  if (!Array.isArray(fragments)) return fragments;
  return iq.type === 'get' ? getFragments(p, iq, fragments) : setFragments(p, iq, fragments);
}

/** Each asked fragment as stored, or as asked (empty) when nothing is stored under its key. */
async function getFragments(p: Private, iq: Iq, fragments: Fragment[]): Promise<IqAnswer> {
  const stored = await p.store.get(iq.to.local, iq.to.domain, fragments);
  const query = createElement('query', { xmlns: NS_PRIVATE });
  fragments.forEach((f, i) => {
    const xml = stored[i];
    query.append(xml === undefined ? clone(f.el) : parse(xml));
  });
  return query;
}

async function setFragments(p: Private, iq: Iq, fragments: Fragment[]): Promise<IqAnswer> {
  const rows = fragments.map((f) => ({ name: f.name, ns: f.ns, xml: f.el.toString() }));
  const stored = await p.store.set(iq.to.local, iq.to.domain, rows, p.opts.max_private_size);
  if (!stored) return stanzaError('policy-violation', `private storage is limited to ${p.opts.max_private_size} bytes per account`);
  // `private_set` (user, host, fragments): mod_pep mirrors XEP-0048 bookmarks to PEP (XEP-0411).
  await p.ctx.node.hooks.run('private_set', iq.to.domain, iq.to.local, iq.to.domain, rows);
  return null;
}

const options = z.strictObject({
  max_private_size: z.number().int().positive().default(256 * 1024),
});

export const modPrivate: ModuleSpec<PrivateOptions> = {
  name: 'mod_private',
  xeps: [49],
  options,
  defaultEnabled: true,
  start(ctx, opts) {
    const p: Private = { ctx, opts, store: ctx.node.stores.private() };
    return [
      { iq: 'sm', ns: NS_PRIVATE, handler: (iq: Iq) => processIq(p, iq) },
      { hook: 'remove_user', callback: (_user: string, _host: string, removal: UserRemoval) => p.store.removeUser(removal) },
    ];
  },
};
