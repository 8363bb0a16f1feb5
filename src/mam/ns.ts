// The namespaces of message archive management and the XEPs it builds on.

/** XEP-0313: Message Archive Management. */
export const NS_MAM = 'urn:xmpp:mam:2';
/** XEP-0313 §8: before-id / after-id / ids fields, flipped pages, archive metadata. */
export const NS_MAM_EXTENDED = 'urn:xmpp:mam:2#extended';
/** XEP-0059: Result Set Management. */
export const NS_RSM = 'http://jabber.org/protocol/rsm';
/** XEP-0359: Unique and Stable Stanza IDs. */
export const NS_SID = 'urn:xmpp:sid:0';
/** XEP-0297: Stanza Forwarding. */
export const NS_FORWARD = 'urn:xmpp:forward:0';
/** XEP-0203: Delayed Delivery. */
export const NS_DELAY = 'urn:xmpp:delay';
/** XEP-0004: Data Forms. */
export const NS_XDATA = 'jabber:x:data';
