/**
 * XEP-0004 §3.3: the fields of a submitted data form, by var, each with its values. Shared by
 * the forms this server reads (MAM queries, MUC room configuration and voice requests).
 */
import type { Element } from 'ltx';
import { stanzaError, type StanzaError } from '../stanza/error.js';

export type Fields = Map<string, string[]>;

/** A form's fields; bad-request when it is not type='submit', a field has no var or repeats. */
export function submittedFields(x: Element): Fields | StanzaError {
  if ((x.attrs.type ?? 'submit') !== 'submit') return stanzaError('bad-request', "the form must be type='submit'");
  const out: Fields = new Map();
  for (const field of x.getChildren('field')) {
    const name = field.attrs.var;
    if (!name) return stanzaError('bad-request', 'a form field without var');
    if (out.has(name)) return stanzaError('bad-request', `field '${name}' given twice`);
    out.set(name, field.getChildren('value').map((v) => v.getText()));
  }
  return out;
}
