/**
 * The XEP-0313 §4.1 query form: the XEP-0004 `<x type='submit'/>` of a query parsed into a
 * filter, and the form a client fetches to learn the fields (§4.1.5). Fields: with, start, end
 * and, for `urn:xmpp:mam:2#extended`, before-id, after-id, ids. A field this server does not
 * know is feature-not-implemented (§4.1.5); a malformed value is bad-request.
 */
import { createElement, type Element } from 'ltx';
import { tryParseJid, type Jid } from '../jid.js';
import { stanzaError, type StanzaError } from '../stanza/error.js';
import { parseDateTime } from './id.js';
import { NS_MAM, NS_XDATA } from './ns.js';
import { formField, submittedFields } from '../xdata/fields.js';

export interface MamFilter {
  /** §4.1.1: bare matches every resource, full only itself. */
  with?: Jid;
  /** §4.1.2: microseconds, inclusive. */
  start?: number;
  end?: number;
  /** §4.1.3: ids, exclusive bounds. */
  beforeId?: string;
  afterId?: string;
  /** §4.1.3: only these ids. */
  ids?: string[];
}

const SINGLE = new Set(['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id']);
const MAX_IDS = 1000;

/** Applies one field to the filter; an error when its value is not what the field takes. */
function apply(filter: MamFilter, name: string, values: string[]): StanzaError | null {
  if (SINGLE.has(name) && values.length > 1) return stanzaError('bad-request', `field '${name}' takes one value`);
  const value = values[0]?.trim() ?? '';
  if (value === '' && name !== 'ids') return null; // an empty field filters nothing
  switch (name) {
    case 'FORM_TYPE':
      return value === NS_MAM ? null : stanzaError('bad-request', `FORM_TYPE must be ${NS_MAM}`);
    case 'with': {
      const jid = tryParseJid(value);
      if (!jid) return stanzaError('jid-malformed', `'with' is not a JID`);
      filter.with = jid;
      return null;
    }
    case 'start':
    case 'end': {
      const us = parseDateTime(value);
      if (us === null) return stanzaError('bad-request', `'${name}' is not a XEP-0082 DateTime`);
      filter[name] = us;
      return null;
    }
    case 'before-id':
      filter.beforeId = value;
      return null;
    case 'after-id':
      filter.afterId = value;
      return null;
    case 'ids':
      if (values.length > MAX_IDS) return stanzaError('policy-violation', `at most ${MAX_IDS} ids`);
      filter.ids = values.map((v) => v.trim());
      return null;
    default:
      return stanzaError('feature-not-implemented', `unknown field '${name}'`);
  }
}

/** The filter of a query's form (`x` absent: everything). */
export function parseQueryForm(x: Element | undefined): MamFilter | StanzaError {
  const filter: MamFilter = {};
  if (!x) return filter;
  const parsed = submittedFields(x);
  if (parsed instanceof Map) {
    for (const [name, values] of parsed) {
      const error = apply(filter, name, values);
      if (error) return error;
    }
    return filter;
  }
  return parsed;
}

/** §4.1.5: the fields this server supports, none required. */
export function queryForm(): Element {
  return createElement(
    'query',
    { xmlns: NS_MAM },
    createElement(
      'x',
      { xmlns: NS_XDATA, type: 'form' },
      formField('FORM_TYPE', 'hidden', [NS_MAM]),
      formField('with', 'jid-single'),
      formField('start', 'text-single'),
      formField('end', 'text-single'),
      formField('before-id', 'text-single'),
      formField('after-id', 'text-single'),
      formField('ids', 'list-multi', [], createElement('validate', { xmlns: 'http://jabber.org/protocol/xdata-validate', datatype: 'xs:string' }, createElement('open'))),
    ),
  );
}
