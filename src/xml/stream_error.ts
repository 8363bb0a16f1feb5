// RFC 6120 §4.9: stream errors. Errors are values: a StreamError is built, never a thrown string,
// and streamErrorElement() is its wire form.
import { Element } from 'ltx';
import { NS_STREAMS, NS_STREAM_ERRORS } from './ns.js';

/** RFC 6120 §4.9.3: every defined stream error condition, in section order. */
export const STREAM_ERROR_CONDITIONS = [
  'bad-format',
  'bad-namespace-prefix',
  'conflict',
  'connection-timeout',
  'host-gone',
  'host-unknown',
  'improper-addressing',
  'internal-server-error',
  'invalid-from',
  'invalid-namespace',
  'invalid-xml',
  'not-authorized',
  'not-well-formed',
  'policy-violation',
  'remote-connection-failed',
  'reset',
  'resource-constraint',
  'restricted-xml',
  'see-other-host',
  'system-shutdown',
  'undefined-condition',
  'unsupported-encoding',
  'unsupported-feature',
  'unsupported-stanza-type',
  'unsupported-version',
] as const;

export type StreamErrorCondition = (typeof STREAM_ERROR_CONDITIONS)[number];

/** A stream-level error (RFC 6120 §4.9): fatal, the stream is closed after it is sent. */
export class StreamError extends Error {
  override readonly name = 'StreamError';

  constructor(
    readonly condition: StreamErrorCondition,
    readonly text?: string,
  ) {
    super(text ? `${condition}: ${text}` : condition);
  }
}

/**
 * RFC 6120 §4.9.2: `<stream:error><COND xmlns='…xmpp-streams'/><text xmlns='…xmpp-streams'>…</text></stream:error>`.
 * Over WebSocket there is no stream header binding the `stream` prefix, so the element declares it
 * itself (RFC 7395 §3.6: stream errors are sent as standalone elements).
 */
export function streamErrorElement(err: StreamError, framing: 'tcp' | 'websocket' = 'tcp'): Element {
  const el = new Element('stream:error', framing === 'websocket' ? { 'xmlns:stream': NS_STREAMS } : null);
  el.c(err.condition, { xmlns: NS_STREAM_ERRORS });
  if (err.text) el.c('text', { xmlns: NS_STREAM_ERRORS }).t(err.text);
  return el;
}
