// XEP-0060 (publish-subscribe) namespaces as PEP (XEP-0163) uses them, and the PEP nodes Troupe's
// tests and README name: XEP-0402 bookmarks, XEP-0084 avatars, XEP-0172 nicknames.

/** XEP-0060 §7: publish, retrieve, retract, create. */
export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
/** XEP-0060 §8: configure, delete, purge (the owner's use cases). */
export const NS_PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
/** XEP-0060 §7.1.2.1: the `<event/>` of notifications. */
export const NS_PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
/** XEP-0060 §14.2: application-specific error conditions. */
export const NS_PUBSUB_ERRORS = 'http://jabber.org/protocol/pubsub#errors';
/** XEP-0060 §16.4.4: the FORM_TYPE of publish-options. */
export const NS_PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';
/** XEP-0060 §16.4.3: the FORM_TYPE of a node configuration. */
export const NS_NODE_CONFIG = 'http://jabber.org/protocol/pubsub#node_config';

/** XEP-0402 §5: bookmarks, one item per room. */
export const NODE_BOOKMARKS = 'urn:xmpp:bookmarks:1';
/** XEP-0048 bookmarks, as XEP-0223 stores them in PEP (one item, `current`) and XEP-0049 in private storage. */
export const NODE_LEGACY_BOOKMARKS = 'storage:bookmarks';
/** XEP-0411 §2: the server keeps the two XEP-0048 copies (private storage, PEP) in step. */
export const NS_BOOKMARKS_CONVERSION = 'urn:xmpp:bookmarks-conversion:0';
/** XEP-0084 §4: avatar data and metadata. */
export const NODE_AVATAR_DATA = 'urn:xmpp:avatar:data';
export const NODE_AVATAR_METADATA = 'urn:xmpp:avatar:metadata';
/** XEP-0172 §4.6: the user's nickname. */
export const NODE_NICK = 'http://jabber.org/protocol/nick';

/** XEP-0163 §4.3 (filtered notifications): a client wants a node's events if its caps include this. */
export const notifyFeature = (node: string): string => `${node}+notify`;

/** The nodes a client's caps ask to be notified of. */
export function notifyNodes(features: readonly string[]): string[] {
  return features.filter((f) => f.endsWith('+notify') && f.length > '+notify'.length).map((f) => f.slice(0, -'+notify'.length));
}
