/**
 * mod_vcard: XEP-0054 vcard-temp, and XEP-0153 avatar hashes in presence (ejabberd's
 * mod_vcard + mod_vcard_xupdate). Anyone may read a user's vCard at the user's bare JID; only
 * the user may set it (others: forbidden, §3.2), up to `max_vcard_size` bytes. A user with no
 * vCard reads an empty `<vCard/>` (§3.1 allows it; ejabberd does so); another's missing vCard
 * is item-not-found (§3.3 requires an error). The avatar hash of each user with a session is
 * kept here, so stamping it into presence (`user_send_packet`) reads no storage.
 */
import { z } from 'zod';
import { createElement, parse, type Element } from 'ltx';
import type { Jid } from '../../src/jid.js';
import { stanzaError } from '../../src/stanza/error.js';
import { isAvailablePresence, NS_VCARD, photoHash, stampPresence, type PhotoHash } from '../../src/vcard/avatar.js';
import type { ModuleContext, ModuleSpec } from '../gen_mod.js';
import type { Iq, IqAnswer } from '../iq_handler.js';
import type { Session } from '../session_table.js';
import { KeyedLock } from './keyed_lock.js';
import type { VcardStore } from './mod_vcard.store.js';
import type { UserRemoval } from '../../src/storage/user_removal.js';

export interface VcardOptions {
  /** Largest vCard accepted, in bytes of XML (UTF-8); larger ones get policy-violation. */
  max_vcard_size: number;
}

interface Vcard {
  ctx: ModuleContext;
  opts: VcardOptions;
  store: VcardStore;
  /** Avatar hash by bare JID, for users with a session (null: no vCard). */
  hashes: Map<string, PhotoHash | null>;
  /** Orders a cache fill after the storage read it started from. */
  lock: KeyedLock;
}

const ownAccount = (iq: Iq): boolean => iq.from.local === iq.to.local && iq.from.domain === iq.to.domain;

async function processIq(v: Vcard, iq: Iq): Promise<IqAnswer> {
  if (iq.payload.name !== 'vCard') return stanzaError('bad-request', 'expected <vCard/>');
  return iq.type === 'get' ? getVcard(v, iq) : setVcard(v, iq);
}

/** §3.1, §3.3. */
async function getVcard(v: Vcard, iq: Iq): Promise<IqAnswer> {
  const stored = await v.store.get(iq.to.local, iq.to.domain);
  if (stored) return parse(stored.xml);
  return ownAccount(iq) ? createElement('vCard', { xmlns: NS_VCARD }) : stanzaError('item-not-found');
}

/** §3.2: the whole vCard replaces the stored one; its avatar hash goes into the next presence. */
async function setVcard(v: Vcard, iq: Iq): Promise<IqAnswer> {
  if (!ownAccount(iq)) return stanzaError('forbidden', "only the user may set its vCard");
  const xml = iq.payload.toString();
  if (Buffer.byteLength(xml) > v.opts.max_vcard_size) {
    return stanzaError('policy-violation', `a vCard may have at most ${v.opts.max_vcard_size} bytes`);
  }
  const { local, domain } = iq.to;
  const photo = photoHash(iq.payload);
  await v.lock.run(iq.to.bareString(), async () => {
    await v.store.set(local, domain, { xml, photo });
    if (v.hashes.has(iq.to.bareString())) v.hashes.set(iq.to.bareString(), photo);
  });
  return null;
}

/** The avatar hash of a user with a session, from memory (read from storage once per login). */
function avatarOf(v: Vcard, user: Jid): PhotoHash | null | Promise<PhotoHash | null> {
  const key = user.bareString();
  const known = v.hashes.get(key);
  if (known !== undefined) return known;
  return v.lock.run(key, async () => {
    const again = v.hashes.get(key);
    if (again !== undefined) return again;
    const photo = (await v.store.get(user.local, user.domain))?.photo ?? null;
    if (v.ctx.node.sessions.resources(user.bare()).length > 0) v.hashes.set(key, photo);
    return photo;
  });
}

/** `user_send_packet`: available presence (broadcast or directed) carries the avatar hash (XEP-0153 §4.1). */
async function stampAvatar(v: Vcard, stanza: Element, user: Jid): Promise<Element> {
  if (!isAvailablePresence(stanza)) return stanza;
  const hash = await avatarOf(v, user);
  return stampPresence(stanza, hash ?? undefined);
}

function sessionClosed(v: Vcard, session: Session): void {
  if (v.ctx.node.sessions.resources(session.jid.bare()).length === 0) v.hashes.delete(session.jid.bareString());
}

/** `remove_user`: the vCard goes with the account, then its avatar hash. */
async function removeUser(v: Vcard, removal: UserRemoval): Promise<void> {
  await v.store.removeUser(removal);
  removal.afterCommit(() => v.hashes.delete(`${removal.user}@${removal.host}`));
}

const options = z.strictObject({
  max_vcard_size: z.number().int().positive().default(64 * 1024),
});

export const modVcard: ModuleSpec<VcardOptions> = {
  name: 'mod_vcard',
  xeps: [54, 153],
  options,
  defaultEnabled: true,
  start(ctx, opts) {
    const v: Vcard = { ctx, opts, store: ctx.node.stores.vcard(), hashes: new Map(), lock: new KeyedLock() };
    return [
      { iq: 'sm', ns: NS_VCARD, handler: (iq: Iq) => processIq(v, iq) },
      { hook: 'user_send_packet', callback: (stanza: Element, user: Jid) => stampAvatar(v, stanza, user), priority: 40 },
      { hook: 'sm_remove_connection', callback: (session: Session) => sessionClosed(v, session) },
      { hook: 'remove_user', callback: (_user: string, _host: string, removal: UserRemoval) => removeUser(v, removal) },
    ];
  },
};
