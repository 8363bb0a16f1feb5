// RFC 6120 §8.3: stanza errors. Errors are values (StanzaError), turned into error stanzas by the
// pure builder errorReply(); an error (or an IQ result) is never answered with an error (§8.3.1).
import { Element, clone } from 'ltx';
import { NS_STANZAS } from '../xml/ns.js';

/** RFC 6120 §8.3.2: the error types. */
export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

/** RFC 6120 §8.3.3: each defined condition with the type the section recommends for it. */
const DEFAULT_TYPE = {
  'bad-request': 'modify',
  conflict: 'cancel',
  'feature-not-implemented': 'cancel',
  forbidden: 'auth',
  gone: 'cancel',
  'internal-server-error': 'cancel',
  'item-not-found': 'cancel',
  'jid-malformed': 'modify',
  'not-acceptable': 'modify',
  'not-allowed': 'cancel',
  'not-authorized': 'auth',
  'policy-violation': 'modify',
  'recipient-unavailable': 'wait',
  redirect: 'modify',
  'registration-required': 'auth',
  'remote-server-not-found': 'cancel',
  'remote-server-timeout': 'wait',
  'resource-constraint': 'wait',
  'service-unavailable': 'cancel',
  'subscription-required': 'auth',
  'undefined-condition': 'cancel',
  'unexpected-request': 'wait',
} as const satisfies Record<string, StanzaErrorType>;

export type StanzaErrorCondition = keyof typeof DEFAULT_TYPE;

export interface StanzaError {
  type: StanzaErrorType;
  condition: StanzaErrorCondition;
  /** Human-readable description (RFC 6120 §8.3.2 <text/>), for debugging, never for program logic. */
  text?: string;
  /** xml:lang of `text`. */
  lang?: string;
  /** RFC 6120 §8.3.2: an application-specific condition (e.g. XEP-0060 `<precondition-not-met/>`), after the defined one. */
  app?: Element;
}

const TYPES: ReadonlySet<string> = new Set(['auth', 'cancel', 'continue', 'modify', 'wait']);

/** A StanzaError with the type RFC 6120 §8.3.3 recommends for `condition`. */
export function stanzaError(condition: StanzaErrorCondition, text?: string): StanzaError {
  const err: StanzaError = { type: DEFAULT_TYPE[condition], condition };
  if (text !== undefined) err.text = text;
  return err;
}

/** A StanzaError with an application-specific condition element (RFC 6120 §8.3.2). */
export function appError(condition: StanzaErrorCondition, app: Element, text?: string): StanzaError {
  return { ...stanzaError(condition, text), app };
}

/** True for StanzaError values (as opposed to, e.g., an ltx Element returned by an IQ handler). */
export function isStanzaError(x: unknown): x is StanzaError {
  if (typeof x !== 'object' || x === null || x instanceof Element) return false;
  const { type, condition } = x as Record<string, unknown>;
  return typeof type === 'string' && TYPES.has(type) && typeof condition === 'string' && Object.hasOwn(DEFAULT_TYPE, condition);
}

/** Attributes of a reply: the original ones with from/to swapped (RFC 6120 §8.3.1, §8.2.3). */
function replyAttrs(stanza: Element, type: string): Record<string, string> {
  const attrs: Record<string, string> = { ...stanza.attrs, type };
  delete attrs.from;
  delete attrs.to;
  if (stanza.attrs.from !== undefined) attrs.to = stanza.attrs.from;
  if (stanza.attrs.to !== undefined) attrs.from = stanza.attrs.to;
  return attrs;
}

/**
 * RFC 6120 §8.3.1: the error stanza answering `stanza`: same name and id, from/to swapped,
 * type='error', the original children (which the RFC allows so the sender can correct them),
 * then `<error type=…><COND xmlns='…xmpp-stanzas'/><text …>…</text></error>`.
 * Returns null for stanzas that must not be answered with an error: any type='error' stanza and
 * IQ results (§8.3.1, §8.2.3). Pure: `stanza` is not modified.
 */
export function errorReply(stanza: Element, err: StanzaError): Element | null {
  const type = stanza.attrs.type;
  if (type === 'error' || (stanza.name === 'iq' && type === 'result')) return null;
  const reply = new Element(stanza.name, replyAttrs(stanza, 'error'));
  for (const child of stanza.children) reply.cnode(typeof child === 'string' ? child : clone(child));
  const error = reply.c('error', { type: err.type });
  error.c(err.condition, { xmlns: NS_STANZAS });
  if (err.text) {
    const attrs: Record<string, string> = { xmlns: NS_STANZAS };
    if (err.lang) attrs['xml:lang'] = err.lang;
    error.c('text', attrs).t(err.text);
  }
  if (err.app) error.cnode(clone(err.app));
  return reply;
}

/** RFC 6120 §8.2.3: the type='result' answer to `iq`, same id, from/to swapped, with an optional payload. */
export function iqResult(iq: Element, child?: Element): Element {
  const attrs: Record<string, string> = { type: 'result' };
  for (const key of ['xmlns', 'id'] as const) if (iq.attrs[key] !== undefined) attrs[key] = iq.attrs[key];
  if (iq.attrs.from !== undefined) attrs.to = iq.attrs.from;
  if (iq.attrs.to !== undefined) attrs.from = iq.attrs.to;
  const result = new Element('iq', attrs);
  if (child) result.cnode(child);
  return result;
}
