/** XEP-0045 namespaces (§19) and the status codes this service sends (§15.6, the registry). */
export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
export const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
export const NS_MUC_ROOMCONFIG = 'http://jabber.org/protocol/muc#roomconfig';
export const NS_MUC_ROOMINFO = 'http://jabber.org/protocol/muc#roominfo';
export const NS_MUC_REQUEST = 'http://jabber.org/protocol/muc#request';
/** XEP-0410 §3: the room answers self-pings itself. */
export const NS_MUC_SELF_PING = 'http://jabber.org/protocol/muc#self-ping-optimization';

export const STATUS = {
  /** The room shows real JIDs to everyone. */
  NON_ANONYMOUS: 100,
  /** A configuration change that is not about privacy. */
  CONFIG_CHANGED: 104,
  /** This presence is about the receiver itself. */
  SELF: 110,
  /** The room is archived. */
  LOGGING: 170,
  /** A new room was created. */
  CREATED: 201,
  BANNED: 301,
  NICK_CHANGED: 303,
  KICKED: 307,
  /** Removed: the affiliation changed in a members-only room. */
  AFFILIATION_REMOVED: 321,
  /** Removed: the room became members-only. */
  MEMBERS_ONLY: 322,
  /** Removed because of a technical problem (an error bounced from the occupant's client). */
  TECHNICAL: 333,
  /**
   * Troupe's own code, in self-presence beside 110: the room's process crashed and was
   * restarted from its saved state; the client is still in the room, as every occupant is.
   */
  ROOM_RESTARTED: 399,
} as const;
