/**
 * XMPP addresses (JIDs), RFC 7622.
 *
 * - localpart: PRECIS UsernameCaseMapped profile (RFC 8265 §3.3) of the IdentifierClass
 *   (RFC 8264 §4.2), minus the characters excluded by RFC 7622 §3.3.1;
 * - domainpart: IP literal, or an IDNA2008 name (RFC 5890-5893) kept in U-label form (§3.2);
 * - resourcepart: PRECIS OpaqueString profile (RFC 8265 §4.2) of the FreeformClass (RFC 8264 §4.3).
 *
 * All-ASCII parts take a fast path that skips normalization: this runs on every stanza.
 */
import { isIPv6 } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';

/** RFC 7622 §3.1: each part is 1 to 1023 octets of UTF-8. */
const MAX_PART_BYTES = 1023;

/** Thrown by {@link parseJid} and {@link jid}; maps to the `jid-malformed` stanza error. */
export class JidMalformedError extends Error {
  override readonly name = 'JidMalformedError';
  constructor(readonly reason: string) {
    super(`jid-malformed: ${reason}`);
  }
}

/** Module-private factory, so that every Jid comes out of preparation. */
let makeJid: (local: string, domain: string, resource: string) => Jid;

/** A prepared (canonical) JID; parts are '' when absent. Build with {@link parseJid} or {@link jid}. */
export class Jid {
  static {
    makeJid = (l, d, r) => new Jid(l, d, r);
  }
  // The strings, made once: a JID is immutable, and routing asks for them on every stanza.
  #bare: string | undefined;
  #full: string | undefined;
  private constructor(readonly local: string, readonly domain: string, readonly resource: string) {}
  bare(): Jid {
    return this.resource === '' ? this : new Jid(this.local, this.domain, '');
  }
  isBare(): boolean {
    return this.resource === '';
  }
  bareString(): string {
    return (this.#bare ??= this.local === '' ? this.domain : `${this.local}@${this.domain}`);
  }
  toString(): string {
    return (this.#full ??= this.resource === '' ? this.bareString() : `${this.bareString()}/${this.resource}`);
  }
  equals(o: Jid): boolean {
    return this.local === o.local && this.domain === o.domain && this.resource === o.resource;
  }
}

/** Parses and prepares a JID string (RFC 7622 §3.1-3.2 split order); throws {@link JidMalformedError}. */
export function parseJid(s: string): Jid {
  const slash = s.indexOf('/'); // §3.2 step 1: the first '/' starts the resourcepart
  const head = slash < 0 ? s : s.slice(0, slash);
  const at = head.indexOf('@'); // §3.2 step 2: up to the first '@' is the localpart
  if (at === 0) throw new JidMalformedError('empty localpart');
  if (slash === s.length - 1) throw new JidMalformedError('empty resourcepart');
  return build(at < 0 ? '' : head.slice(0, at), head.slice(at + 1), slash < 0 ? '' : s.slice(slash + 1));
}

/** Like {@link parseJid} but returns null for a malformed JID. */
export function tryParseJid(s: string): Jid | null {
  try {
    return parseJid(s);
  } catch (e) {
    if (e instanceof JidMalformedError) return null;
    throw e;
  }
}

/** Builds a JID from unprepared parts ('' local or resource = absent); throws {@link JidMalformedError}. */
export function jid(local: string, domain: string, resource = ''): Jid {
  return build(local, domain, resource);
}

function build(localRaw: string, domainRaw: string, resourceRaw: string): Jid {
  if (domainRaw === '') throw new JidMalformedError('empty domainpart');
  const domain = nameprep(domainRaw);
  if (domain === null) throw new JidMalformedError('invalid domainpart');
  const local = localRaw === '' ? '' : nodeprep(localRaw);
  if (local === null) throw new JidMalformedError('invalid localpart');
  const resource = resourceRaw === '' ? '' : resourceprep(resourceRaw);
  if (resource === null) throw new JidMalformedError('invalid resourcepart');
  return makeJid(local, domain, resource);
}

// ---- Localpart: UsernameCaseMapped (RFC 8265 §3.3) + RFC 7622 §3.3.1 exclusions ----

const ASCII_VISIBLE = /^[\x21-\x7e]+$/;
const XMPP_LOCAL_EXCLUDED = /["&'/:<>@]/;
/** ASCII7 (PVALID, RFC 8264 §9.11) minus the excluded characters. */
const ASCII_LOCAL = /^[\x21\x23-\x25\x28-\x2e\x30-\x39\x3b\x3d\x3f\x41-\x7e]+$/;

/** Prepares a localpart; null if it is not a valid localpart. */
export function nodeprep(local: string): string | null {
  if (ASCII_LOCAL.test(local)) {
    // Width mapping and NFC are identities on ASCII.
    return local.length <= MAX_PART_BYTES ? local.toLowerCase() : null;
  }
  const s = stabilize(local, (x) => widthMap(x).toLowerCase().normalize('NFC'));
  if (s === null || XMPP_LOCAL_EXCLUDED.test(s) || !fitsPart(s)) return null;
  const cps = [...s];
  return cps.every((cp, i) => precisAllowed(cp, cps, i, 'identifier')) && bidiRuleOk(cps) ? s : null;
}

/** RFC 8265 §3.3.1 rule 1: fullwidth and halfwidth code points map to their decompositions (UAX #11). */
function widthMap(s: string): string {
  return s.replace(/[\u3000\uff01-\uffee]/g, (c) => c.normalize('NFKC'));
}

// ---- Resourcepart: OpaqueString (RFC 8265 §4.2) ----

const ASCII_PRINTABLE = /^[\x20-\x7e]+$/;

/** Prepares a resourcepart; null if it is not a valid resourcepart. */
export function resourceprep(res: string): string | null {
  if (ASCII_PRINTABLE.test(res)) return res.length <= MAX_PART_BYTES ? res : null;
  const s = opaqueString(res);
  return s !== null && fitsPart(s) ? s : null;
}

/** PRECIS OpaqueString profile (RFC 8265 §4.2), no length limit; null if disallowed or empty. */
export function opaqueString(str: string): string | null {
  // §4.2.1: map non-ASCII spaces to U+0020, then NFC; no width, case or directionality rule.
  const s = stabilize(str, (x) => x.replace(/\p{Zs}/gu, ' ').normalize('NFC'));
  if (s === null || s === '') return null;
  const cps = [...s];
  return cps.every((cp, i) => precisAllowed(cp, cps, i, 'freeform')) ? s : null;
}

// ---- Domainpart: RFC 7622 §3.2, IDNA2008 ----

const LDH_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
/** A last label like this makes WHATWG hosts (and resolvers) read the name as an IPv4 address. */
const NUMERIC_LAST_LABEL = /(?:^|\.)(?:\d+|0x[0-9a-f]*)$/i;
const LABEL_SEPARATORS = new Set(['.', '\u3002', '\uff0e', '\uff61']);

/** Prepares a domainpart (lowercase, U-labels, no final dot); null if invalid. */
export function nameprep(domain: string): string | null {
  if (domain.startsWith('[') && domain.endsWith(']')) {
    return isIPv6(domain.slice(1, -1)) ? domain.toLowerCase() : null; // IP-literal (RFC 6874)
  }
  // §3.2: the final label separator is stripped before any other canonicalization.
  const d = LABEL_SEPARATORS.has(domain.slice(-1)) ? domain.slice(0, -1) : domain;
  if (LDH_NAME.test(d) && !d.includes('--')) {
    // Fast path: NR-LDH labels only (RFC 5890 §2.3.1), or an IPv4 address.
    if (NUMERIC_LAST_LABEL.test(d)) return IPV4.test(d) ? d : null;
    return d.length <= MAX_PART_BYTES ? d.toLowerCase() : null;
  }
  // UTS #46 processing: width and case mapping, NFC, dot mapping (a superset of RFC 5895's
  // mapping, allowed by RFC 7622 §4 "be liberal") and A-label to U-label conversion (§3.2.1).
  const u = domainToUnicode(d);
  if (NUMERIC_LAST_LABEL.test(u)) return null;
  const labelsOk = u.split('.').every((label) =>
    ASCII_VISIBLE.test(label) ? LDH_LABEL.test(label) && label.slice(2, 4) !== '--' : uLabelOk(label),
  );
  if (!labelsOk) return null;
  const ascii = domainToASCII(u);
  return ascii !== '' && ascii.split('.').every((l) => l.length <= 63) && fitsPart(u) ? u : null;
}

/** RFC 5891 §4.2.3 and RFC 5892 derived properties for a U-label (already NFC and lowercase). */
function uLabelOk(label: string): boolean {
  if (label === '' || label.startsWith('-') || label.endsWith('-') || label.slice(2, 4) === '--') return false;
  if (/^\p{M}/u.test(label)) return false;
  const cps = [...label];
  return cps.every((cp, i) => precisAllowed(cp, cps, i, 'idna')) && bidiRuleOk(cps);
}

// ---- PRECIS string classes (RFC 8264 §8-9), also used for IDNA2008 labels (RFC 5892 §3) ----

type StringClass = 'identifier' | 'freeform' | 'idna';

const EXC_PVALID = /[\u00df\u03c2\u06fd\u06fe\u0f0b\u3007]/u; // RFC 5892 §2.6
const EXC_DISALLOWED = /[\u0640\u07fa\u302e\u302f\u3031-\u3035\u303b]/u;
const EXC_CONTEXTO = /[\u00b7\u0375\u05f3\u05f4\u30fb\u0660-\u0669\u06f0-\u06f9]/u;
const UNASSIGNED = /\p{Cn}/u;
const OLD_HANGUL_JAMO = /[\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]/u;
const IGNORABLE = /[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}\p{Cc}]/u;
const LETTER_DIGITS = /[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]/u;
/** OtherLetterDigits, Spaces, Symbols, Punctuation: FREE_PVAL, ID_DIS (RFC 8264 §9.13-9.16). */
const FREEFORM_ONLY = /[\p{Lt}\p{Nl}\p{No}\p{Me}\p{Zs}\p{S}\p{P}]/u;
const IDNA_LDH = /[a-z0-9-]/;
const IDNA_IGNORABLE_BLOCKS = /[\u20d0-\u20ff\u{1d100}-\u{1d24f}]/u; // RFC 5892 §2.4
const UPPERCASE = /\p{Lu}/u;

/**
 * Whether code point `cp` (at index i of `cps`) is PVALID, or CONTEXTO with its rule satisfied,
 * following the order of RFC 8264 §8. CONTEXTJ (ZWJ, ZWNJ; RFC 5892 A.1-A.2) is rejected:
 * its rules need Canonical_Combining_Class and Joining_Type, which JS regexes cannot query.
 */
function precisAllowed(cp: string, cps: string[], i: number, cls: StringClass): boolean {
  if (EXC_PVALID.test(cp)) return true;
  if (EXC_DISALLOWED.test(cp)) return false;
  if (EXC_CONTEXTO.test(cp)) return contextORule(cp, cps, i);
  if (UNASSIGNED.test(cp)) return false;
  const c = cp.codePointAt(0)!;
  if (c >= 0x21 && c <= 0x7e) return cls !== 'idna' || IDNA_LDH.test(cp); // ASCII7
  if (OLD_HANGUL_JAMO.test(cp) || IGNORABLE.test(cp)) return false; // also JoinControl, Controls
  if (cp.normalize('NFKC') !== cp) return cls === 'freeform'; // HasCompat
  if (LETTER_DIGITS.test(cp)) return cls !== 'idna' || !(UPPERCASE.test(cp) || IDNA_IGNORABLE_BLOCKS.test(cp));
  return cls === 'freeform' && FREEFORM_ONLY.test(cp);
}

/** CONTEXTO rules, RFC 5892 Appendix A.3-A.9. */
function contextORule(cp: string, cps: string[], i: number): boolean {
  switch (cp) {
    case '\u00b7': return cps[i - 1] === 'l' && cps[i + 1] === 'l'; // MIDDLE DOT
    case '\u0375': return /\p{Script=Greek}/u.test(cps[i + 1] ?? ''); // GREEK LOWER NUMERAL SIGN
    case '\u05f3':
    case '\u05f4': return /\p{Script=Hebrew}/u.test(cps[i - 1] ?? ''); // HEBREW GERESH, GERSHAYIM
    case '\u30fb': return cps.some((x) => /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u.test(x));
    default: // Arabic-Indic and Extended Arabic-Indic digits must not be mixed
      return !cps.some((x) => (cp < '\u06f0' ? /[\u06f0-\u06f9]/ : /[\u0660-\u0669]/).test(x));
  }
}

const RTL_SCRIPTS = ['Hebrew', 'Arabic', 'Syriac', 'Thaana', 'Nko', 'Samaritan', 'Mandaic', 'Adlam', 'Hanifi_Rohingya', 'Yezidi'];
const RTL_SCRIPT = new RegExp(`[${RTL_SCRIPTS.map((name) => `\\p{Script=${name}}`).join('')}]`, 'u');
const LETTER = /\p{L}/u;
const ARABIC_NUMBER = /[\u0660-\u0669\u066b\u066c]/; // Bidi class AN
const EUROPEAN_NUMBER = /[0-9\u06f0-\u06f9]/; // Bidi class EN
const rtlLetter = (cp: string): boolean => LETTER.test(cp) && RTL_SCRIPT.test(cp);

/**
 * The Bidi Rule (RFC 5893 §2) for strings holding right-to-left characters, approximated with
 * scripts since JS regexes cannot query Bidi_Class: R/AL = letters of RTL scripts, L = other letters.
 */
function bidiRuleOk(cps: string[]): boolean {
  if (!cps.some((cp) => rtlLetter(cp) || ARABIC_NUMBER.test(cp))) return true;
  if (!rtlLetter(cps[0])) return false; // rule 1
  if (cps.some((cp) => LETTER.test(cp) && !RTL_SCRIPT.test(cp))) return false; // rule 2
  const last = cps.findLast((cp) => !/\p{Mn}/u.test(cp)) ?? '';
  if (!rtlLetter(last) && !/\p{Nd}/u.test(last)) return false; // rule 3
  return !(cps.some((cp) => EUROPEAN_NUMBER.test(cp)) && cps.some((cp) => ARABIC_NUMBER.test(cp))); // rule 4
}

/** RFC 8264 §7: reapply the mapping rules until stable; reject if still changing after 3 more rounds. */
function stabilize(s: string, rules: (s: string) => string): string | null {
  let cur = rules(s);
  for (let round = 0; round < 3; round++) {
    const next = rules(cur);
    if (next === cur) return cur;
    cur = next;
  }
  return null;
}

function fitsPart(s: string): boolean {
  return s !== '' && Buffer.byteLength(s, 'utf8') <= MAX_PART_BYTES;
}
