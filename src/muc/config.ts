/**
 * XEP-0045 §10.2 room configuration: the `muc#roomconfig` form (XEP-0004) an owner fetches
 * and submits, the room's disco#info features (§15.3) and its `muc#roominfo` form (§15.5.4).
 * A submitted field this room does not know is not-acceptable ("Requested configuration
 * options are unacceptable", §10.2 Example 168); a value of the wrong kind (not a boolean,
 * not a number, not a listed option) is bad-request. Fields left out keep their value.
 */
import { createElement, type Element } from 'ltx';
import { stanzaError, type StanzaError } from '../stanza/error.js';
import { formField, submittedFields } from '../xdata/fields.js';
import { NS_XDATA } from '../mam/ns.js';
import { NS_MUC, NS_MUC_ROOMCONFIG, NS_MUC_ROOMINFO } from './ns.js';

export type AllowPm = 'anyone' | 'participants' | 'moderators' | 'none';
export type Whois = 'moderators' | 'anyone';

export interface RoomConfig {
  title: string;
  description: string;
  persistent: boolean;
  public: boolean;
  members_only: boolean;
  moderated: boolean;
  password_protected: boolean;
  password: string;
  max_users: number;
  allow_change_subject: boolean;
  allow_pm: AllowPm;
  whois: Whois;
  /** XEP-0313: the room's messages go to its archive. */
  mam: boolean;
}

export const DEFAULT_CONFIG: RoomConfig = {
  title: '',
  description: '',
  persistent: false,
  public: true,
  members_only: false,
  moderated: false,
  password_protected: false,
  password: '',
  max_users: 200,
  allow_change_subject: true,
  allow_pm: 'anyone',
  whois: 'moderators',
  mam: true,
};

type Kind = 'text' | 'secret' | 'boolean' | 'number' | 'list';

interface FieldSpec {
  key: keyof RoomConfig;
  kind: Kind;
  label: string;
  options?: readonly string[];
}

/** §15.5.3: the registered field vars, each bound to one setting. */
const FIELDS: Record<string, FieldSpec> = {
  'muc#roomconfig_roomname': { key: 'title', kind: 'text', label: 'Room title' },
  'muc#roomconfig_roomdesc': { key: 'description', kind: 'text', label: 'Room description' },
  'muc#roomconfig_persistentroom': { key: 'persistent', kind: 'boolean', label: 'Make room persistent' },
  'muc#roomconfig_publicroom': { key: 'public', kind: 'boolean', label: 'Make room publicly searchable' },
  'muc#roomconfig_membersonly': { key: 'members_only', kind: 'boolean', label: 'Make room members-only' },
  'muc#roomconfig_moderatedroom': { key: 'moderated', kind: 'boolean', label: 'Make room moderated' },
  'muc#roomconfig_passwordprotectedroom': { key: 'password_protected', kind: 'boolean', label: 'Password required to enter' },
  'muc#roomconfig_roomsecret': { key: 'password', kind: 'secret', label: 'Password' },
  'muc#roomconfig_maxusers': { key: 'max_users', kind: 'number', label: 'Maximum number of occupants' },
  'muc#roomconfig_changesubject': { key: 'allow_change_subject', kind: 'boolean', label: 'Allow occupants to change the subject' },
  'muc#roomconfig_allowpm': { key: 'allow_pm', kind: 'list', label: 'Roles that may send private messages', options: ['anyone', 'participants', 'moderators', 'none'] },
  'muc#roomconfig_whois': { key: 'whois', kind: 'list', label: 'Roles that may discover real JIDs', options: ['moderators', 'anyone'] },
  'muc#roomconfig_enablearchiving': { key: 'mam', kind: 'boolean', label: 'Archive messages (XEP-0313)' },
};

const FORM_TYPE_TYPE = 'hidden';
const XDATA_TYPE: Record<Kind, string> = { text: 'text-single', secret: 'text-private', boolean: 'boolean', number: 'text-single', list: 'list-single' };

const value = (v: string): Element => createElement('value', null, v);
const show = (v: RoomConfig[keyof RoomConfig]): string => (typeof v === 'boolean' ? (v ? '1' : '0') : String(v));

/** The form of §10.2 Example 163, filled with the current settings. */
export function configForm(config: RoomConfig, maxUsersLimit: number): Element {
  const x = createElement('x', { xmlns: NS_XDATA, type: 'form' }, createElement('title', null, 'Room configuration'));
  x.append(formField('FORM_TYPE', FORM_TYPE_TYPE, [NS_MUC_ROOMCONFIG]));
  for (const [name, spec] of Object.entries(FIELDS)) {
    const field = createElement('field', { var: name, type: XDATA_TYPE[spec.kind], label: spec.label }, value(show(config[spec.key])));
    for (const option of spec.options ?? []) field.append(createElement('option', { label: option }, value(option)));
    if (spec.key === 'max_users') field.append(createElement('desc', null, `1 to ${maxUsersLimit}`));
    x.append(field);
  }
  return x;
}

/** XEP-0004 §3.3 booleans: 1/true, 0/false. */
function parseBoolean(v: string): boolean | null {
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  return null;
}

function parseValue(name: string, spec: FieldSpec, values: string[], maxUsersLimit: number): RoomConfig[keyof RoomConfig] | StanzaError {
  const bad = (what: string) => stanzaError('bad-request', `field '${name}' ${what}`);
  if (values.length > 1) return bad('takes one value');
  const v = (values[0] ?? '').trim();
  switch (spec.kind) {
    case 'text':
    case 'secret':
      return spec.kind === 'secret' ? values[0] ?? '' : v;
    case 'boolean': {
      const b = parseBoolean(v);
      return b === null ? bad('is a boolean (0 or 1)') : b;
    }
    case 'number': {
      if (!/^\d+$/.test(v)) return bad('is a number');
      const n = Number(v);
      return n >= 1 && n <= maxUsersLimit ? n : stanzaError('not-acceptable', `'${name}' must be 1 to ${maxUsersLimit}`);
    }
    case 'list':
      return spec.options?.includes(v) ? v : bad(`is one of ${spec.options?.join(', ')}`);
  }
}

/** §10.2: the new configuration from a submitted form, or the error to answer. */
export function parseConfigForm(x: Element, current: RoomConfig, maxUsersLimit: number): RoomConfig | StanzaError {
  const fields = submittedFields(x);
  if (!(fields instanceof Map)) return fields;
  const next: Record<string, unknown> = { ...current };
  for (const [name, values] of fields) {
    if (name === 'FORM_TYPE') {
      if (values[0]?.trim() !== NS_MUC_ROOMCONFIG) return stanzaError('bad-request', `FORM_TYPE must be ${NS_MUC_ROOMCONFIG}`);
      continue;
    }
    const spec = Object.hasOwn(FIELDS, name) ? FIELDS[name] : undefined;
    if (!spec) return stanzaError('not-acceptable', `unknown configuration field '${name}'`);
    const parsed = parseValue(name, spec, values, maxUsersLimit);
    if (typeof parsed === 'object') return parsed;
    next[spec.key] = parsed;
  }
  const config = next as unknown as RoomConfig;
  if (config.password_protected && config.password === '') return stanzaError('not-acceptable', 'a password-protected room needs a password');
  return config;
}

/** §15.3 (disco features of a room), each setting with its pair. */
export function roomFeatures(c: RoomConfig): string[] {
  return [
    NS_MUC,
    c.persistent ? 'muc_persistent' : 'muc_temporary',
    c.public ? 'muc_public' : 'muc_hidden',
    c.members_only ? 'muc_membersonly' : 'muc_open',
    c.moderated ? 'muc_moderated' : 'muc_unmoderated',
    c.password_protected ? 'muc_passwordprotected' : 'muc_unsecured',
    c.whois === 'anyone' ? 'muc_nonanonymous' : 'muc_semianonymous',
  ];
}

/** §15.5.4: the XEP-0128 form of a room's disco#info. */
export function roomInfoForm(c: RoomConfig, occupants: number, subject: string): Element {
  const field = (name: string, v: string): Element => formField(name, null, [v]);
  return createElement(
    'x',
    { xmlns: NS_XDATA, type: 'result' },
    formField('FORM_TYPE', FORM_TYPE_TYPE, [NS_MUC_ROOMINFO]),
    field('muc#roominfo_description', c.description),
    field('muc#roominfo_occupants', String(occupants)),
    field('muc#roominfo_subject', subject),
    field('muc#roomconfig_maxusers', String(c.max_users)),
  );
}
