/**
 * XEP-0153 (vCard-based avatars) §4, done on the server as ejabberd's mod_vcard_xupdate does:
 * the avatar hash is the SHA-1 of the PHOTO's decoded BINVAL, and the user's available presence
 * carries it as `<x xmlns='vcard-temp:x:update'><photo>hash</photo></x>`, replacing whatever the
 * client put there. Pure: no I/O, elements are never modified in place.
 */
import { createHash } from 'node:crypto';
import { clone, createElement, type Element } from 'ltx';

/** XEP-0054 */
export const NS_VCARD = 'vcard-temp';
/** XEP-0153 §3 */
export const NS_VCARD_UPDATE = 'vcard-temp:x:update';

/** The avatar of a stored vCard: a SHA-1 in hex, '' (a vCard without a photo) or EXTERNAL (an EXTVAL photo, no hash known). */
export type PhotoHash = string;
export const EXTERNAL: PhotoHash = 'external';

/** XEP-0153 §4.1: SHA-1 of the image data (the BINVAL decoded from base64), lowercase hex. */
export function photoHash(vcard: Element): PhotoHash {
  const photo = vcard.getChild('PHOTO');
  if (!photo) return '';
  const binval = (photo.getChildText('BINVAL') ?? '').replace(/\s+/g, '');
  if (binval !== '') return createHash('sha1').update(Buffer.from(binval, 'base64')).digest('hex');
  return (photo.getChildText('EXTVAL') ?? '').trim() !== '' ? EXTERNAL : '';
}

/** True for a presence the update element belongs in: available (no type). */
export const isAvailablePresence = (stanza: Element): boolean => stanza.name === 'presence' && stanza.attrs.type === undefined;

/**
 * The presence with the server's `<x xmlns='vcard-temp:x:update'/>`: `<photo>hash</photo>` for
 * an avatar, an empty `<photo/>` for a vCard without one, no `<photo/>` when the user has no vCard
 * (`hash` undefined), no `<x/>` at all for an external photo. A client's empty `<photo/>` (it is
 * not ready to advertise an avatar, XEP-0398 §5) is left as it is, as ejabberd does.
 */
export function stampPresence(presence: Element, hash: PhotoHash | undefined): Element {
  const sent = presence.getChild('x', NS_VCARD_UPDATE);
  const sentPhoto = sent?.getChild('photo');
  if (sentPhoto && sentPhoto.getText().trim() === '') return presence;
  if (sentPhoto && hash !== undefined && sentPhoto.getText().trim() === hash) return presence;
  const out = clone(presence);
  out.remove('x', NS_VCARD_UPDATE);
  if (hash === EXTERNAL) return out;
  const x = createElement('x', { xmlns: NS_VCARD_UPDATE });
  if (hash !== undefined) x.append(hash === '' ? createElement('photo') : createElement('photo', null, hash));
  out.append(x);
  return out;
}
