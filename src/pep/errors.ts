/** XEP-0060 §14.2 errors: a RFC 6120 condition with a `pubsub#errors` child. */
import { createElement } from 'ltx';
import { appError, type StanzaError, type StanzaErrorCondition } from '../stanza/error.js';
import { NS_PUBSUB_ERRORS } from './ns.js';

export function pubsubError(condition: StanzaErrorCondition, app: string, attrs: Record<string, string> = {}): StanzaError {
  return appError(condition, createElement(app, { xmlns: NS_PUBSUB_ERRORS, ...attrs }));
}

/** XEP-0060 §7.1.3 etc.: a use case this PEP service does not offer. */
export const unsupported = (feature: string): StanzaError => pubsubError('feature-not-implemented', 'unsupported', { feature });
