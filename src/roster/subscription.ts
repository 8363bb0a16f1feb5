/**
 * RFC 6121 §3 and Appendix A: presence subscription states and what each subscription stanza
 * does to them, as literal tables. The state is the one of the roster item that the *owner* of
 * the roster has for the other party: `outbound` when the owner sends the stanza (Appendix A.3),
 * `inbound` when it comes from the contact (Appendix A.2). Pre-approval (§3.4) sits on top of
 * the nine states as a flag. Pure: no I/O, no clocks.
 */

/** RFC 6121 §2.1.2.5. */
export type Subscription = 'none' | 'to' | 'from' | 'both';

export type SubscriptionType = 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed';

export const SUBSCRIPTION_TYPES: readonly SubscriptionType[] = ['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed'];

export function isSubscriptionType(type: string | undefined): type is SubscriptionType {
  return (SUBSCRIPTION_TYPES as readonly (string | undefined)[]).includes(type);
}

/** The nine states of RFC 6121 Appendix A.1, spelled as there. */
export type State =
  | 'None' | 'None + Pending Out' | 'None + Pending In' | 'None + Pending Out/In'
  | 'To' | 'To + Pending In' | 'From' | 'From + Pending Out' | 'Both';

export const STATES: readonly State[] = [
  'None', 'None + Pending Out', 'None + Pending In', 'None + Pending Out/In',
  'To', 'To + Pending In', 'From', 'From + Pending Out', 'Both',
];

/** The subscription part of a roster item. Invariants: pendingOut ⇒ no 'to'; pendingIn ⇒ no 'from'. */
export interface SubState {
  subscription: Subscription;
  /** A subscription request sent and not answered (`ask='subscribe'`, §2.1.2.1). */
  pendingOut: boolean;
  /** A subscription request received and not answered (§3.1.3). */
  pendingIn: boolean;
  /** The owner pre-approved the contact's request (§3.4, `approved='true'`, §2.1.2.2). */
  approved: boolean;
}

type Table = Record<SubscriptionType, Record<State, State>>;

/** Appendix A.3: the owner sends the stanza (A.3.1 subscribe … A.3.4 unsubscribed). */
const OUTBOUND: Table = {
  subscribe: {
    'None': 'None + Pending Out', 'None + Pending Out': 'None + Pending Out',
    'None + Pending In': 'None + Pending Out/In', 'None + Pending Out/In': 'None + Pending Out/In',
    'To': 'To', 'To + Pending In': 'To + Pending In', 'From': 'From + Pending Out',
    'From + Pending Out': 'From + Pending Out', 'Both': 'Both',
  },
  unsubscribe: {
    'None': 'None', 'None + Pending Out': 'None', 'None + Pending In': 'None + Pending In',
    'None + Pending Out/In': 'None + Pending In', 'To': 'None', 'To + Pending In': 'None + Pending In',
    'From': 'From', 'From + Pending Out': 'From', 'Both': 'From',
  },
  subscribed: {
    'None': 'None', 'None + Pending Out': 'None + Pending Out', 'None + Pending In': 'From',
    'None + Pending Out/In': 'From + Pending Out', 'To': 'To', 'To + Pending In': 'Both',
    'From': 'From', 'From + Pending Out': 'From + Pending Out', 'Both': 'Both',
  },
  unsubscribed: {
    'None': 'None', 'None + Pending Out': 'None + Pending Out', 'None + Pending In': 'None',
    'None + Pending Out/In': 'None + Pending Out', 'To': 'To', 'To + Pending In': 'To',
    'From': 'None', 'From + Pending Out': 'None + Pending Out', 'Both': 'To',
  },
};

/** Appendix A.2: the stanza comes from the contact (A.2.1 subscribe … A.2.4 unsubscribed). */
const INBOUND: Table = {
  subscribe: {
    'None': 'None + Pending In', 'None + Pending Out': 'None + Pending Out/In',
    'None + Pending In': 'None + Pending In', 'None + Pending Out/In': 'None + Pending Out/In',
    'To': 'To + Pending In', 'To + Pending In': 'To + Pending In', 'From': 'From',
    'From + Pending Out': 'From + Pending Out', 'Both': 'Both',
  },
  unsubscribe: OUTBOUND.unsubscribed, // the contact cancels its subscription: the owner loses 'from'
  subscribed: {
    'None': 'None', 'None + Pending Out': 'To', 'None + Pending In': 'None + Pending In',
    'None + Pending Out/In': 'To + Pending In', 'To': 'To', 'To + Pending In': 'To + Pending In',
    'From': 'From', 'From + Pending Out': 'Both', 'Both': 'Both',
  },
  unsubscribed: OUTBOUND.unsubscribe, // the contact revokes the owner's subscription: the owner loses 'to'
};

export function stateName(s: Pick<SubState, 'subscription' | 'pendingOut' | 'pendingIn'>): State {
  switch (s.subscription) {
    case 'none':
      if (s.pendingOut && s.pendingIn) return 'None + Pending Out/In';
      return s.pendingOut ? 'None + Pending Out' : s.pendingIn ? 'None + Pending In' : 'None';
    case 'to': return s.pendingIn ? 'To + Pending In' : 'To';
    case 'from': return s.pendingOut ? 'From + Pending Out' : 'From';
    case 'both': return 'Both';
  }
}

export function fromName(name: State, approved = false): SubState {
  const [base, pending] = name.split(' + ') as [string, string | undefined];
  return {
    subscription: base.toLowerCase() as Subscription,
    pendingOut: pending === 'Pending Out' || pending === 'Pending Out/In',
    pendingIn: pending === 'Pending In' || pending === 'Pending Out/In',
    approved,
  };
}

export const hasFrom = (s: Pick<SubState, 'subscription'>): boolean => s.subscription === 'from' || s.subscription === 'both';
export const hasTo = (s: Pick<SubState, 'subscription'>): boolean => s.subscription === 'to' || s.subscription === 'both';

export interface Outcome {
  next: SubState;
  changed: boolean;
  /** Outbound: route the stanza to the contact. Inbound: deliver it to the owner's available resources. */
  forward: boolean;
  /** Inbound only: what the owner's server answers by itself (§3.1.3, §3.4). */
  autoReply?: 'subscribed' | 'unsubscribed';
  /** The contact now receives the owner's presence (send it the current presence, §3.1.5). */
  gainedFrom: boolean;
  /** The contact no longer receives it (send it unavailable, §3.2.2, §3.3.3). */
  lostFrom: boolean;
}

function outcome(prev: SubState, next: SubState, forward: boolean, autoReply?: Outcome['autoReply']): Outcome {
  const changed = stateName(prev) !== stateName(next) || prev.approved !== next.approved;
  const o: Outcome = { next, changed, forward, gainedFrom: !hasFrom(prev) && hasFrom(next), lostFrom: hasFrom(prev) && !hasFrom(next) };
  if (autoReply) o.autoReply = autoReply;
  return o;
}

function apply(table: Table, type: SubscriptionType, s: SubState): SubState {
  return fromName(table[type][stateName(s)], s.approved);
}

/**
 * The owner sends `type` to the contact (§3.1.2, §3.1.5, §3.2.2, §3.3.2). subscribe and
 * unsubscribe, and unsubscribed (which the contact's server ignores when it changes nothing),
 * are always routed; subscribed only when it approves a pending request, otherwise it is a
 * pre-approval (§3.4.2) when `preApproval` is offered, and is not routed either way.
 */
export function outbound(type: SubscriptionType, s: SubState, preApproval = true): Outcome {
  const next = apply(OUTBOUND, type, s);
  switch (type) {
    case 'subscribe':
    case 'unsubscribe':
      return outcome(s, next, true);
    case 'subscribed':
      if (s.pendingIn) return outcome(s, { ...next, approved: false }, true);
      if (preApproval && !hasFrom(s)) return outcome(s, { ...next, approved: true }, false);
      return outcome(s, next, false);
    case 'unsubscribed':
      return outcome(s, { ...next, approved: false }, true); // also cancels a pre-approval (§3.4)
  }
}

/**
 * The contact sends `type` to the owner (§3.1.3, §3.1.6, §3.2.3, §3.3.3): delivered only when it
 * changes the state. A subscribe from a contact that already has a subscription, or that the
 * owner pre-approved, is answered `subscribed` by the server and not delivered.
 */
export function inbound(type: SubscriptionType, s: SubState): Outcome {
  if (type === 'subscribe') {
    if (hasFrom(s)) return outcome(s, s, false, 'subscribed');
    if (s.approved) return outcome(s, { ...apply(OUTBOUND, 'subscribed', { ...s, pendingIn: true }), approved: false }, false, 'subscribed');
  }
  const next = apply(INBOUND, type, s);
  const changed = stateName(s) !== stateName(next);
  return outcome(s, next, changed);
}
