/**
 * XEP-0060 §4.5 access models as PEP applies them (XEP-0163 §4.3): `open` to anyone,
 * `presence` to the owner and the contacts subscribed to the owner's presence (from/both),
 * `whitelist` to the owner alone (XEP-0223 private storage, XEP-0402 bookmarks). The errors are
 * §6.5.9's.
 */
import type { StanzaError } from '../stanza/error.js';
import { hasFrom, type Subscription } from '../roster/subscription.js';
import type { AccessModel } from './config.js';
import { pubsubError } from './errors.js';

/** Who asks, seen from the owner: the owner itself, or a contact with the owner's roster subscription for it (none when not on the roster). */
export type Requester = { owner: true } | { owner: false; subscription: Subscription };

export function accessError(model: AccessModel, who: Requester): StanzaError | null {
  if (who.owner || model === 'open') return null;
  if (model === 'presence') return hasFrom(who) ? null : pubsubError('not-authorized', 'presence-subscription-required');
  return pubsubError('not-allowed', 'closed-node');
}

export const mayAccess = (model: AccessModel, who: Requester): boolean => accessError(model, who) === null;
