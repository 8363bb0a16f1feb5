/**
 * What travels between Troupe nodes through Redis (issue #9): the keys and channels, and the
 * messages, as JSON whose stanzas are XML strings. A cast to a session on another node keeps
 * its shape (`{type: 'route', from, to, stanza}`, `{type: 'replaced'}`, …): Jid and Element
 * fields are written as strings and read back, so the receiving node hands its c2s exactly
 * what a local `deliver` would have.
 */
import { Element, parse } from 'ltx';
import { Jid, parseJid } from '../jid.js';

const PREFIX = 'troupe';

/** Redis keys and channels; `{bare}` keys hold one user's sessions, `resource → SessionEntry`. */
export const keys = {
  sessions: (bare: string) => `${PREFIX}:sessions:${bare}`,
  /** The full JIDs a node holds: what the others remove when it dies. */
  nodeSessions: (node: string) => `${PREFIX}:node_sessions:${node}`,
  /** Present while the node lives: refreshed every third of its TTL. */
  alive: (node: string) => `${PREFIX}:alive:${node}`,
  nodes: `${PREFIX}:nodes`,
  /** One channel per node: casts to its sessions. */
  nodeChannel: (node: string) => `${PREFIX}:node:${node}`,
  /** Every session change, in the order Redis applied them. */
  sessionEvents: `${PREFIX}:session_events`,
  /** One MUC room (`owner`, `state`, `occupant:NICK`): its claim and what a new owner takes over. */
  room: (room: string) => `${PREFIX}:room:${room}`,
  /** The rooms a node owns: what the others take over when it dies. */
  nodeRooms: (node: string) => `${PREFIX}:node_rooms:${node}`,
} as const;

/** A session as the cluster knows it: where it lives and what bare-JID routing needs. */
export interface SessionEntry {
  node: string;
  since: number;
  priority: number | null;
  /** The last available presence, as XML. */
  presence: string | null;
  info: Record<string, string | number | boolean>;
}

/** A change to the session table, published by the node that made it. */
export type SessionEvent =
  | { op: 'set'; jid: string; entry: SessionEntry }
  | { op: 'del'; jid: string; node: string };

/** A cast to the session `jid` on the node whose channel carries it. */
export interface CastEnvelope {
  jid: string;
  msg: Record<string, unknown>;
}

/** `{type, …}` with Jid and Element fields as `{jid}` / `{xml}`; other fields stay JSON. */
export function encodeCast(jid: Jid, msg: Record<string, unknown>): string {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg)) {
    fields[k] = v instanceof Element ? { xml: v.toString() } : v instanceof Jid ? { jid: v.toString() } : v;
  }
  return JSON.stringify({ jid: jid.toString(), msg: fields } satisfies CastEnvelope);
}

/** The inverse of {@link encodeCast}; throws on anything that is not one. */
export function decodeCast(text: string): { jid: Jid; msg: Record<string, unknown> } {
  const envelope = JSON.parse(text) as CastEnvelope;
  if (typeof envelope.jid !== 'string' || typeof envelope.msg?.type !== 'string') throw new Error('not a cast envelope');
  const msg: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(envelope.msg)) msg[k] = decodeField(v);
  return { jid: parseJid(envelope.jid), msg };
}

function decodeField(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const field = v as { xml?: unknown; jid?: unknown };
  if (typeof field.xml === 'string') return parse(field.xml);
  if (typeof field.jid === 'string') return parseJid(field.jid);
  return v;
}

/**
 * What a node's channel carries for MUC (issue #9), beside casts: a stanza for a room, handed
 * to the room's owner node (`hops`: how often it was handed on already); a room to take over
 * because its owner died or left; a node that died or left, whose sessions the rooms drop.
 */
export type RoomMessage =
  | { type: 'room_route'; from: Jid; to: Jid; stanza: Element; hops: number }
  | { type: 'room_take_over'; room: Jid }
  | { type: 'room_node_down'; node: string };

export function encodeRoomMessage(m: RoomMessage): string {
  switch (m.type) {
    case 'room_route': return JSON.stringify({ room_route: { from: m.from.toString(), to: m.to.toString(), stanza: m.stanza.toString(), hops: m.hops } });
    case 'room_take_over': return JSON.stringify({ room_take_over: m.room.toString() });
    case 'room_node_down': return JSON.stringify({ room_node_down: m.node });
  }
}

/** A message on a node's channel: a cast to one of its sessions, or one for a MUC room. */
export function decodeNodeMessage(text: string): ({ type: 'cast'; jid: Jid; msg: Record<string, unknown> }) | RoomMessage {
  const value = JSON.parse(text) as { room_route?: { from: string; to: string; stanza: string; hops: number }; room_take_over?: string; room_node_down?: string };
  const r = value.room_route;
  if (r) {
    if (typeof r.stanza !== 'string' || !Number.isInteger(r.hops) || r.hops < 0) throw new Error('not a room route');
    return { type: 'room_route', from: parseJid(r.from), to: parseJid(r.to), stanza: parse(r.stanza), hops: r.hops };
  }
  if (typeof value.room_take_over === 'string') return { type: 'room_take_over', room: parseJid(value.room_take_over) };
  if (typeof value.room_node_down === 'string') return { type: 'room_node_down', node: value.room_node_down };
  return { type: 'cast', ...decodeCast(text) };
}

export function parseSessionEvent(text: string): SessionEvent {
  const event = JSON.parse(text) as SessionEvent;
  if (typeof event.jid !== 'string' || (event.op !== 'set' && event.op !== 'del')) throw new Error('not a session event');
  return event;
}
