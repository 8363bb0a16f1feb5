/**
 * A PEP node's configuration (XEP-0060 §16.4.3 fields, the subset PEP clients set through
 * publish-options: XEP-0402 §5, XEP-0223 §4): the data-form parser, the precondition check of
 * §7.1.5 and the form the owner is shown (§8.2). Fields this service does not offer are refused,
 * never silently ignored: a precondition the node cannot keep is not met.
 */
import { createElement, type Element } from 'ltx';
import { NS_XDATA } from '../disco/info.js';
import { stanzaError, type StanzaError } from '../stanza/error.js';
import { NS_NODE_CONFIG } from './ns.js';
import { formField } from '../xdata/fields.js';

export type AccessModel = 'open' | 'presence' | 'whitelist';
export type SendLastPublishedItem = 'never' | 'on_sub' | 'on_sub_and_presence';

export interface NodeConfig {
  access_model: AccessModel;
  persist_items: boolean;
  /** Items kept; `max` in a form is the service's limit. */
  max_items: number;
  send_last_published_item: SendLastPublishedItem;
}

/** XEP-0163 §4.3: presence access, items kept; as ejabberd's PEP defaults, one item. */
export const DEFAULT_CONFIG: Readonly<NodeConfig> = {
  access_model: 'presence',
  persist_items: true,
  max_items: 1,
  send_last_published_item: 'on_sub_and_presence',
};

const ACCESS_MODELS: readonly string[] = ['open', 'presence', 'whitelist'];
const SEND_LAST: readonly string[] = ['never', 'on_sub', 'on_sub_and_presence'];
/** Fields whose one value this service always has (notifications with payloads, retractions notified). */
const FIXED: Record<string, string> = { 'pubsub#deliver_payloads': 'true', 'pubsub#deliver_notifications': 'true', 'pubsub#notify_retract': 'true' };

/** A form's field that cannot be applied: `unknown` fields, or a `bad` value. */
export interface FieldProblem {
  field: string;
  kind: 'unknown' | 'bad';
}

export const isFieldProblem = (x: unknown): x is FieldProblem => typeof x === 'object' && x !== null && 'kind' in x && 'field' in x;

function parseBoolean(value: string): boolean | null {
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  return null;
}

/** One field onto `wanted`; a problem when the field is unknown or its value not one this service takes. */
function applyField(wanted: Partial<NodeConfig>, field: string, value: string, maxItems: number): FieldProblem | null {
  const bad: FieldProblem = { field, kind: 'bad' };
  switch (field) {
    case 'pubsub#access_model':
      if (!ACCESS_MODELS.includes(value)) return bad;
      wanted.access_model = value as AccessModel;
      return null;
    case 'pubsub#persist_items': {
      const b = parseBoolean(value);
      if (b === null) return bad;
      wanted.persist_items = b;
      return null;
    }
    case 'pubsub#max_items': {
      const n = value === 'max' ? maxItems : /^\d+$/.test(value) ? Number(value) : NaN;
      if (!(n >= 1 && n <= maxItems)) return bad;
      wanted.max_items = n;
      return null;
    }
    case 'pubsub#send_last_published_item':
      if (!SEND_LAST.includes(value)) return bad;
      wanted.send_last_published_item = value as SendLastPublishedItem;
      return null;
    default: {
      const fixed = FIXED[field];
      if (fixed === undefined) return { field, kind: 'unknown' };
      return parseBoolean(value) === parseBoolean(fixed) ? null : bad;
    }
  }
}

/**
 * The fields of a submitted form (`<x type='submit'/>`, FORM_TYPE `formType` if given) as the
 * configuration they ask for. `maxItems` is the service's item limit (what `max` means).
 */
export function parseConfigForm(x: Element, formType: string, maxItems: number): Partial<NodeConfig> | FieldProblem | StanzaError {
  if (x.getNS() !== NS_XDATA || (x.attrs.type ?? 'submit') !== 'submit') return stanzaError('bad-request', "expected a jabber:x:data form of type 'submit'");
  const wanted: Partial<NodeConfig> = {};
  for (const field of x.getChildren('field')) {
    const name = field.attrs.var;
    if (!name) return stanzaError('bad-request', 'a form field without var');
    const value = field.getChildText('value')?.trim() ?? '';
    if (name === 'FORM_TYPE') {
      if (value !== formType) return stanzaError('bad-request', `FORM_TYPE must be ${formType}`);
      continue;
    }
    const problem = applyField(wanted, name, value, maxItems);
    if (problem) return problem;
  }
  return wanted;
}

/** §7.1.5: does the node's configuration have every value the publisher asked for? */
export const meetsPreconditions = (config: NodeConfig, wanted: Partial<NodeConfig>): boolean =>
  (Object.keys(wanted) as (keyof NodeConfig)[]).every((k) => config[k] === wanted[k]);

const field = (name: string, type: string, value: string, options: readonly string[] = []): Element =>
  formField(name, type, [value], ...options.map((o) => createElement('option', {}, createElement('value', {}, o))));

/** §8.2.1: the node's configuration as a form for its owner. */
export function configForm(config: NodeConfig): Element {
  return createElement(
    'x', { xmlns: NS_XDATA, type: 'form' },
    field('FORM_TYPE', 'hidden', NS_NODE_CONFIG),
    field('pubsub#access_model', 'list-single', config.access_model, ACCESS_MODELS),
    field('pubsub#persist_items', 'boolean', config.persist_items ? 'true' : 'false'),
    field('pubsub#max_items', 'text-single', String(config.max_items)),
    field('pubsub#send_last_published_item', 'list-single', config.send_last_published_item, SEND_LAST),
    ...Object.entries(FIXED).map(([name, value]) => field(name, 'boolean', value)),
  );
}
