/**
 * XEP-0059 Result Set Management as XEP-0313 §4.3 uses it: the request's `<set/>` parsed, a
 * page cut from the ids matching a query (oldest first), and the `<set/>` of the answer.
 * UIDs are archive ids, so `after`/`before` are positions in time even for ids a filter left out.
 */
import { createElement, type Element } from 'ltx';
import { stanzaError, type StanzaError } from '../stanza/error.js';
import { NS_RSM } from './ns.js';

export interface RsmRequest {
  /** §2.1: the most items wanted (0: only the count). */
  max?: number;
  /** §2.2: the page after this id. */
  after?: string;
  /** §2.3: the page before this id; '' (an empty `<before/>`) is the last page (§2.5). */
  before?: string;
  /** §2.4: the page starting at this position. */
  index?: number;
}

export interface Page {
  ids: string[];
  /** The position of `ids[0]` among all matches. */
  firstIndex: number;
  /** How many ids matched the query in all. */
  count: number;
  /** XEP-0313 §4.3: nothing more in the direction of paging. */
  complete: boolean;
}

const NUMBER = /^\s*\d{1,9}\s*$/;

function number(el: Element | undefined, what: string): number | undefined | StanzaError {
  if (!el) return undefined;
  const text = el.getText();
  return NUMBER.test(text) ? Number(text) : stanzaError('bad-request', `RSM <${what}/> must be a non-negative integer`);
}

/** The request's `<set/>` (absent: no paging asked), or bad-request. */
export function parseRsm(set: Element | undefined): RsmRequest | StanzaError {
  if (!set) return {};
  const request: RsmRequest = {};
  const max = number(set.getChild('max'), 'max');
  const index = number(set.getChild('index'), 'index');
  for (const [key, value] of [['max', max], ['index', index]] as const) {
    if (typeof value === 'object') return value;
    if (value !== undefined) request[key] = value;
  }
  const after = set.getChild('after');
  const before = set.getChild('before');
  if (after) {
    request.after = after.getText();
    if (request.after === '') return stanzaError('bad-request', 'RSM <after/> needs an id');
  }
  if (before) request.before = before.getText();
  if ([after, before, set.getChild('index')].filter(Boolean).length > 1) {
    return stanzaError('bad-request', 'use one of <after/>, <before/>, <index/> (XEP-0313 §4.3: before-id and after-id for a range)');
  }
  return request;
}

/** The first position in sorted `ids` whose id is not less than `id`. */
function lowerBound(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as string) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The page `rsm` asks for, at most `limit` items (the server's `max_page`), in chronological order. */
export function page(ids: readonly string[], rsm: RsmRequest, limit: number): Page {
  const max = Math.min(rsm.max ?? limit, limit);
  const count = ids.length;
  let start: number;
  let end: number;
  let complete: boolean;
  if (rsm.before !== undefined) {
    end = rsm.before === '' ? count : lowerBound(ids, rsm.before);
    start = Math.max(0, end - max);
    complete = start === 0;
  } else {
    start = rsm.after !== undefined ? lowerBound(ids, rsm.after + '\0') : Math.min(rsm.index ?? 0, count);
    end = Math.min(count, start + max);
    complete = end === count;
  }
  return { ids: ids.slice(start, end), firstIndex: start, count, complete };
}

/** §2.6: the answer's `<set/>`: first (with its index) and last when the page has items, and the count. */
export function rsmSet(p: Page): Element {
  const set = createElement('set', { xmlns: NS_RSM });
  if (p.ids.length > 0) {
    set.append(createElement('first', { index: String(p.firstIndex) }, p.ids[0] as string));
    set.append(createElement('last', null, p.ids[p.ids.length - 1] as string));
  }
  set.append(createElement('count', null, String(p.count)));
  return set;
}
