/**
 * XEP-0004: the fields of a submitted data form (§3.3), by var, each with its values, for the
 * forms this server reads (MAM queries, MUC room configuration and voice requests); and the
 * `<field/>` element of the forms it sends.
 */
import { createElement, type Element } from 'ltx';
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

/** §3.2: a `<field/>` with its values, then any other children (options, descriptions, validation). */
export function formField(name: string, type: string | null, values: readonly string[] = [], ...children: Element[]): Element {
  return createElement('field', type === null ? { var: name } : { var: name, type }, ...values.map((v) => createElement('value', null, v)), ...children);
}
