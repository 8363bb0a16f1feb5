/** Stream features (RFC 6120 §4.3.2) for each phase of a c2s stream, plus what modules add through `c2s_stream_features`. */
import { createElement, type Element } from 'ltx';
import { NS_BIND, NS_SASL, NS_SESSION, NS_STREAMS, NS_TLS } from '../src/xml/ns.js';

export function tlsFeature(required: boolean): Element {
  return createElement('starttls', { xmlns: NS_TLS }, required ? createElement('required') : null);
}

export function mechanismsFeature(mechanisms: readonly string[]): Element {
  return createElement('mechanisms', { xmlns: NS_SASL }, ...mechanisms.map((m) => createElement('mechanism', null, m)));
}

/** XEP-0440: which channel binding types this connection can produce. */
export function channelBindingFeature(types: readonly string[]): Element {
  return createElement('sasl-channel-binding', { xmlns: 'urn:xmpp:sasl-cb:0' }, ...types.map((type) => createElement('channel-binding', { type })));
}

/** After authentication: resource binding and the legacy session (optional, RFC 6121 §C.1). */
export function bindFeatures(): Element[] {
  return [createElement('bind', { xmlns: NS_BIND }), createElement('session', { xmlns: NS_SESSION }, createElement('optional'))];
}

/** Over WebSocket each element stands alone, so it declares the `stream` prefix (RFC 7395 §3.3.3). */
export function featuresElement(children: Element[], framing: 'tcp' | 'websocket'): Element {
  return createElement('stream:features', framing === 'websocket' ? { 'xmlns:stream': NS_STREAMS } : null, ...children);
}
