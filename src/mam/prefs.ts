/**
 * Archiving preferences (XEP-0441, in the `urn:xmpp:mam:2` namespace as XEP-0313 had them):
 * the default (always, never, roster) and the always/never JID lists, parsed, built, and
 * matched against the other party of a message (§2.4: a listed bare JID matches every resource,
 * a full JID only itself; `never` wins over `always`).
 */
import { createElement, type Element } from 'ltx';
import { tryParseJid, type Jid } from '../jid.js';
import { stanzaError, type StanzaError } from '../stanza/error.js';
import { NS_MAM } from './ns.js';

export type DefaultPref = 'always' | 'never' | 'roster';

export interface Prefs {
  default: DefaultPref;
  always: string[];
  never: string[];
}

const DEFAULTS: readonly string[] = ['always', 'never', 'roster'];
const MAX_JIDS = 1000;

export const isDefaultPref = (s: string | undefined): s is DefaultPref => s !== undefined && DEFAULTS.includes(s);

function jidList(parent: Element | undefined, name: string): string[] | StanzaError {
  const out: string[] = [];
  for (const el of parent?.getChildren('jid') ?? []) {
    const jid = tryParseJid(el.getText().trim());
    if (!jid) return stanzaError('jid-malformed', `<${name}/> holds a malformed JID`);
    if (!out.includes(jid.toString())) out.push(jid.toString());
  }
  return out.length > MAX_JIDS ? stanzaError('policy-violation', `at most ${MAX_JIDS} JIDs in <${name}/>`) : out;
}

/** The preferences of a `<prefs/>` set request, normalised. */
export function parsePrefs(el: Element): Prefs | StanzaError {
  const def = el.attrs.default;
  if (!isDefaultPref(def)) return stanzaError('bad-request', "default must be 'always', 'never' or 'roster'");
  const always = jidList(el.getChild('always'), 'always');
  if (!Array.isArray(always)) return always;
  const never = jidList(el.getChild('never'), 'never');
  if (!Array.isArray(never)) return never;
  return { default: def, always, never };
}

/** §2.1: `<prefs/>` with its default and both lists, present even when empty. */
export function prefsElement(p: Prefs): Element {
  const list = (name: string, jids: string[]) => createElement(name, null, ...jids.map((j) => createElement('jid', null, j)));
  return createElement('prefs', { xmlns: NS_MAM, default: p.default }, list('always', p.always), list('never', p.never));
}

/** §2.4: does `jids` name `peer` (bare entries match any of its resources)? */
function listed(jids: string[], peer: Jid): boolean {
  const full = peer.toString();
  const bare = peer.bareString();
  return jids.some((j) => j === full || j === bare);
}

/** What the preferences say for a message with `peer`: a decision, or 'roster' (ask the roster about the bare JID). */
export function archiveRule(p: Prefs, peer: Jid): DefaultPref {
  if (listed(p.never, peer)) return 'never';
  if (listed(p.always, peer)) return 'always';
  return p.default;
}
