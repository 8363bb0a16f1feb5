// XML namespace names used by the core protocol (RFC 6120, RFC 6121, RFC 7395) and the XEPs Troupe implements.

/** RFC 6120 §4.8.1: the stream namespace. */
export const NS_STREAMS = 'http://etherx.jabber.org/streams';
/** RFC 6120 §4.8.2: the content namespace of client-to-server streams. */
export const NS_CLIENT = 'jabber:client';
/** RFC 6120 §4.9.2: stream error conditions. */
export const NS_STREAM_ERRORS = 'urn:ietf:params:xml:ns:xmpp-streams';
/** RFC 6120 §8.3.2: stanza error conditions. */
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
/** RFC 6120 §5.4: STARTTLS. */
export const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
/** RFC 6120 §6.4: SASL. */
export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
/** RFC 6120 §7.4: resource binding. */
export const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';
/** RFC 3921 §3: session establishment, removed by RFC 6121 (Appendix E) and kept as a no-op for old clients. */
export const NS_SESSION = 'urn:ietf:params:xml:ns:xmpp-session';
/** RFC 6121 §2.1.1: roster management. */
export const NS_ROSTER = 'jabber:iq:roster';
/** XEP-0077 §3: in-band registration. */
export const NS_REGISTER = 'jabber:iq:register';
/** XEP-0077 §6: the in-band registration stream feature. */
export const NS_FEATURE_IQREGISTER = 'http://jabber.org/features/iq-register';
/** XEP-0030 §3: service discovery, info. */
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
/** XEP-0030 §4: service discovery, items. */
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
/** XEP-0199: XMPP ping. */
export const NS_PING = 'urn:xmpp:ping';
/** XEP-0092: software version. */
export const NS_VERSION = 'jabber:iq:version';
/** RFC 7395 §3.3.1: XMPP over WebSocket framing (<open/>, <close/>). */
export const NS_FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
