// RFC 6120 §4.7: the responding entity's stream header and closing tag; RFC 7395 §3.3.2, §3.6:
// their WebSocket forms (<open/>, <close/>). Pure string builders.
import { escapeXML } from 'ltx';
import { NS_CLIENT, NS_FRAMING, NS_STREAMS } from './ns.js';

export interface StreamHeaderAttrs {
  /** RFC 6120 §4.7.3: a fresh, unpredictable stream id. */
  id: string;
  /** RFC 6120 §4.7.1: the server's domain. */
  from: string;
  /** RFC 6120 §4.7.2: the initiating entity's JID, when it sent a 'from'. */
  to?: string;
  /** RFC 6120 §4.7.4: the default language of the stream; 'en' unless given. */
  lang?: string;
}

function attrs(a: StreamHeaderAttrs): string {
  const to = a.to === undefined ? '' : ` to='${escapeXML(a.to)}'`;
  return ` id='${escapeXML(a.id)}' from='${escapeXML(a.from)}'${to} version='1.0' xml:lang='${escapeXML(a.lang ?? 'en')}'`;
}

/** RFC 6120 §4.7: `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream=… id=… from=… version='1.0' xml:lang=…>`. */
export function streamHeader(a: StreamHeaderAttrs): string {
  return `<?xml version='1.0'?><stream:stream xmlns='${NS_CLIENT}' xmlns:stream='${NS_STREAMS}'${attrs(a)}>`;
}

/** RFC 6120 §4.4: the closing tag of the stream. */
export function streamFooter(): string {
  return '</stream:stream>';
}

/** RFC 7395 §3.3.2: the WebSocket stream open, `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' …/>`. */
export function wsOpen(a: StreamHeaderAttrs): string {
  return `<open xmlns='${NS_FRAMING}'${attrs(a)}/>`;
}

/** RFC 7395 §3.6: the WebSocket stream close; `seeOtherUri` redirects the client (§3.6.1). */
export function wsClose(seeOtherUri?: string): string {
  const uri = seeOtherUri === undefined ? '' : ` see-other-uri='${escapeXML(seeOtherUri)}'`;
  return `<close xmlns='${NS_FRAMING}'${uri}/>`;
}
