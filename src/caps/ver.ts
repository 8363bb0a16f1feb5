/**
 * XEP-0115 entity capabilities, the pure part: the `<c/>` element of a presence, the
 * verification string (§5.1) of a disco#info answer with the checks of §5.4 (an ill-formed
 * answer has no string), and its hash, `ver`. Strings sort by "i;octet" (RFC 4790), i.e. by
 * their UTF-8 bytes, not by JavaScript's UTF-16 order.
 */
import { createHash } from 'node:crypto';
import type { Element } from 'ltx';
import type { DiscoInfo, Identity } from '../disco/info.js';

export const NS_CAPS = 'http://jabber.org/protocol/caps';

/** §4: what a client announces: `node#ver` is the disco#info node to ask. */
export interface CapsRef {
  node: string;
  ver: string;
  hash: string;
}

/** The IANA Hash Function Textual Names §5 allows, as node:crypto names them. */
const HASHES: Record<string, string> = {
  md5: 'md5', 'sha-1': 'sha1', 'sha-224': 'sha224', 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512',
};

export const isSupportedHash = (hash: string): boolean => Object.hasOwn(HASHES, hash);

/** The `<c/>` of a presence, if it is the current (hashed) format; the legacy format (no `hash`, §6.3) is ignored. */
export function parseCaps(presence: Element): CapsRef | null {
  const c = presence.getChild('c', NS_CAPS);
  const { node, ver, hash } = c?.attrs ?? {};
  return node && ver && hash ? { node, ver, hash } : null;
}

const octets = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

function compareIdentities(a: Identity, b: Identity): number {
  return octets(a.category, b.category) || octets(a.type, b.type) || octets(a.lang ?? '', b.lang ?? '') || octets(a.name ?? '', b.name ?? '');
}

const hasDuplicates = (keys: string[]): boolean => new Set(keys).size !== keys.length;

interface Form {
  formType: string;
  fields: { var: string; values: string[] }[];
}

/** §5.4 3.5–3.6: a form without a hidden FORM_TYPE is ignored; one with conflicting FORM_TYPE values is ill-formed (null). */
function parseForm(x: Element): Form | 'ignore' | null {
  const fields = x.getChildren('field');
  const formTypeField = fields.find((f) => f.attrs.var === 'FORM_TYPE');
  if (!formTypeField || formTypeField.attrs.type !== 'hidden') return 'ignore';
  const formTypes = new Set(formTypeField.getChildren('value').map((v) => v.getText()));
  if (formTypes.size !== 1) return null;
  return {
    formType: [...formTypes][0] as string,
    fields: fields
      .filter((f) => f !== formTypeField)
      .map((f) => ({ var: f.attrs.var ?? '', values: f.getChildren('value').map((v) => v.getText()).sort(octets) }))
      .sort((a, b) => octets(a.var, b.var)),
  };
}

/** §5.1 steps 1–8 on a received answer, or null when §5.4 3.3–3.5 call it ill-formed. */
export function verificationString(info: DiscoInfo): string | null {
  const identityKey = (i: Identity): string => `${i.category}/${i.type}/${i.lang ?? ''}/${i.name ?? ''}`;
  if (hasDuplicates(info.identities.map(identityKey)) || hasDuplicates(info.features)) return null;
  const forms: Form[] = [];
  for (const x of info.forms) {
    const form = parseForm(x);
    if (form === null) return null;
    if (form !== 'ignore') forms.push(form);
  }
  if (hasDuplicates(forms.map((f) => f.formType))) return null;
  let s = '';
  for (const identity of [...info.identities].sort(compareIdentities)) s += `${identityKey(identity)}<`;
  for (const feature of [...info.features].sort(octets)) s += `${feature}<`;
  for (const form of forms.sort((a, b) => octets(a.formType, b.formType))) {
    s += `${form.formType}<`;
    for (const field of form.fields) s += `${field.var}<${field.values.map((v) => `${v}<`).join('')}`;
  }
  return s;
}

/** §5.1 step 9–10: base64 of the hash of the verification string; null if ill-formed or the hash is not supported. */
export function capsVer(info: DiscoInfo, hash: string): string | null {
  const s = verificationString(info);
  const algorithm = HASHES[hash];
  if (s === null || algorithm === undefined) return null;
  return createHash(algorithm).update(s, 'utf8').digest('base64');
}
