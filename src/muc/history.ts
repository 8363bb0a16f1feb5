/**
 * XEP-0045 §7.2.14–7.2.15 discussion history: what a room keeps of its recent groupchat
 * messages, which of them a newcomer asks for (`<history maxchars maxstanzas seconds since/>`)
 * and how each is sent again, with its original time (XEP-0203 `<delay from='room'/>`). Pure.
 */
import { clone, createElement, parse, type Element } from 'ltx';
import { NS_DELAY } from '../mam/ns.js';
import { parseDateTime } from '../mam/id.js';
import { NS_MUC } from './ns.js';

export interface HistoryEntry {
  /** The message as reflected (`from` = room/nick), without `to`. */
  xml: string;
  /** When the room received it, ms since the epoch. */
  at: number;
  /** The sender's nick then. */
  nick: string;
}

export interface HistoryRequest {
  maxstanzas?: number;
  maxchars?: number;
  seconds?: number;
  /** ms since the epoch */
  since?: number;
}

const count = (s: string | undefined): number | undefined => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);

/** The `<history/>` of a join's `<x xmlns='…muc'/>`; a malformed attribute is ignored (as if absent). */
export function parseHistoryRequest(join: Element): HistoryRequest {
  const h = join.getChild('x', NS_MUC)?.getChild('history');
  const req: HistoryRequest = {};
  if (!h) return req;
  const maxstanzas = count(h.attrs.maxstanzas);
  const maxchars = count(h.attrs.maxchars);
  const seconds = count(h.attrs.seconds);
  const since = h.attrs.since === undefined ? null : parseDateTime(h.attrs.since);
  if (maxstanzas !== undefined) req.maxstanzas = maxstanzas;
  if (maxchars !== undefined) req.maxchars = maxchars;
  if (seconds !== undefined) req.seconds = seconds;
  if (since !== null) req.since = Math.floor(since / 1000);
  return req;
}

/** §7.2.15: the newest entries that satisfy every limit given, oldest first. */
export function selectHistory(entries: readonly HistoryEntry[], req: HistoryRequest, now: number): HistoryEntry[] {
  const after = Math.max(req.since ?? -Infinity, req.seconds === undefined ? -Infinity : now - req.seconds * 1000);
  const picked: HistoryEntry[] = [];
  let chars = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i] as HistoryEntry;
    if (e.at < after || picked.length >= (req.maxstanzas ?? Infinity)) break;
    chars += e.xml.length;
    if (chars > (req.maxchars ?? Infinity)) break;
    picked.push(e);
  }
  return picked.reverse();
}

/** One history message for `to`, with the time the room received it. */
export function historyMessage(e: HistoryEntry, to: string, room: string): Element {
  const message = clone(parse(e.xml));
  message.attrs.to = to;
  message.append(createElement('delay', { xmlns: NS_DELAY, from: room, stamp: new Date(e.at).toISOString() }));
  return message;
}
