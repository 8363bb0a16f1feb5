/**
 * The pure parts of XEP-0045: roles and affiliations (§5, §7.2 entry, §8–10 who may change
 * whose role and affiliation), the room configuration form (§10.2), nicknames and the
 * discussion history a newcomer asks for (§7.2.15).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'ltx';
import { isStanzaError } from '../../src/stanza/error.js';
import {
  affiliationChangeDenial, defaultRole, entryDenial, roleAfterAffiliation, roleChangeDenial, type Affiliation, type Role,
} from '../../src/muc/roles.js';
import { configForm, DEFAULT_CONFIG, parseConfigForm, roomFeatures } from '../../src/muc/config.js';
import { nickDenial } from '../../src/muc/nick.js';
import { parseHistoryRequest, selectHistory, type HistoryEntry } from '../../src/muc/history.js';

const condition = (r: unknown): string => (isStanzaError(r) ? r.condition : 'ok');
const actor = (role: Role, affiliation: Affiliation) => ({ role, affiliation });

test('default roles: owners and admins moderate; a moderated room makes newcomers visitors', () => {
  assert.deepEqual((['owner', 'admin', 'member', 'none', 'outcast'] as const).map((a) => defaultRole(a, false)), ['moderator', 'moderator', 'participant', 'participant', 'none']);
  assert.deepEqual([defaultRole('none', true), defaultRole('member', true)], ['visitor', 'participant']);
});

test('entry (§7.2): banned, members-only, password, full, in that order; admins pass password and limit', () => {
  const open = { membersOnly: false, password: null, maxUsers: 10 };
  assert.equal(condition(entryDenial('none', open, undefined, 0)), 'ok');
  assert.equal(condition(entryDenial('outcast', { ...open, membersOnly: true }, undefined, 0)), 'forbidden');
  assert.equal(condition(entryDenial('none', { ...open, membersOnly: true }, undefined, 0)), 'registration-required');
  assert.equal(condition(entryDenial('member', { ...open, membersOnly: true }, undefined, 0)), 'ok');
  assert.equal(condition(entryDenial('member', { ...open, password: 'pw' }, 'nope', 0)), 'not-authorized');
  assert.equal(condition(entryDenial('member', { ...open, password: 'pw' }, 'pw', 0)), 'ok');
  assert.equal(condition(entryDenial('admin', { ...open, password: 'pw' }, undefined, 0)), 'ok');
  assert.equal(condition(entryDenial('member', open, undefined, 10)), 'service-unavailable');
  assert.equal(condition(entryDenial('owner', open, undefined, 10)), 'ok');
  assert.equal(condition(entryDenial('none', { ...open, membersOnly: true }, undefined, 10)), 'registration-required', 'members-only before full');
});

test('role changes (§8, §9.6): moderators kick and voice; moderator status is an admin matter; no one touches a higher affiliation', () => {
  const mod = actor('moderator', 'none');
  const admin = actor('moderator', 'admin');
  assert.equal(condition(roleChangeDenial(actor('participant', 'member'), actor('participant', 'none'), 'none')), 'forbidden');
  assert.equal(condition(roleChangeDenial(mod, actor('participant', 'none'), 'none')), 'ok');
  assert.equal(condition(roleChangeDenial(mod, actor('visitor', 'none'), 'participant')), 'ok');
  assert.equal(condition(roleChangeDenial(mod, actor('participant', 'member'), 'none')), 'not-allowed', 'a member outranks a moderator without affiliation');
  assert.equal(condition(roleChangeDenial(mod, actor('participant', 'none'), 'moderator')), 'not-allowed');
  assert.equal(condition(roleChangeDenial(admin, actor('participant', 'none'), 'moderator')), 'ok');
  assert.equal(condition(roleChangeDenial(admin, actor('moderator', 'admin'), 'none')), 'not-allowed', 'admins cannot be kicked');
  assert.equal(condition(roleChangeDenial(admin, actor('moderator', 'owner'), 'participant')), 'not-allowed');
  assert.equal(condition(roleChangeDenial(actor('moderator', 'owner'), actor('moderator', 'admin'), 'participant')), 'not-allowed', 'admins stay moderators');
});

test('affiliation changes (§9, §10): owners do anything; admins only below admin; others nothing', () => {
  assert.equal(condition(affiliationChangeDenial('owner', 'admin', 'outcast')), 'ok');
  assert.equal(condition(affiliationChangeDenial('owner', 'none', 'owner')), 'ok');
  assert.equal(condition(affiliationChangeDenial('admin', 'member', 'outcast')), 'ok');
  assert.equal(condition(affiliationChangeDenial('admin', 'none', 'member')), 'ok');
  assert.equal(condition(affiliationChangeDenial('admin', 'admin', 'outcast')), 'not-allowed');
  assert.equal(condition(affiliationChangeDenial('admin', 'none', 'admin')), 'not-allowed');
  assert.equal(condition(affiliationChangeDenial('member', 'none', 'member')), 'forbidden');
  assert.equal(condition(affiliationChangeDenial('none', 'none', 'outcast')), 'forbidden');
});

test('the role an affiliation change leaves', () => {
  assert.equal(roleAfterAffiliation('outcast', 'participant', false, false), 'none');
  assert.equal(roleAfterAffiliation('none', 'participant', false, true), 'none', 'members-only: no longer a member, out');
  assert.equal(roleAfterAffiliation('admin', 'visitor', true, false), 'moderator');
  assert.equal(roleAfterAffiliation('member', 'visitor', true, false), 'participant');
  assert.equal(roleAfterAffiliation('none', 'moderator', true, false), 'visitor', 'a former admin in a moderated room');
  assert.equal(roleAfterAffiliation('none', 'participant', true, false), 'participant', 'voice once granted stays');
});

const form = (fields: Record<string, string | string[]>, type = 'submit', formType = 'http://jabber.org/protocol/muc#roomconfig') => parse(
  `<x xmlns='jabber:x:data' type='${type}'><field var='FORM_TYPE'><value>${formType}</value></field>${Object.entries(fields)
    .map(([k, v]) => `<field var='${k}'>${[v].flat().map((x) => `<value>${x}</value>`).join('')}</field>`).join('')}</x>`,
);

test('configuration form (§10.2): fields set what they name, others keep their value', () => {
  const c = parseConfigForm(form({
    'muc#roomconfig_roomname': ' Tea ', 'muc#roomconfig_persistentroom': '1', 'muc#roomconfig_membersonly': 'true', 'muc#roomconfig_moderatedroom': '0',
    'muc#roomconfig_maxusers': '30', 'muc#roomconfig_whois': 'anyone', 'muc#roomconfig_passwordprotectedroom': '1', 'muc#roomconfig_roomsecret': ' s p ',
  }), DEFAULT_CONFIG, 100);
  assert.ok(!isStanzaError(c));
  assert.deepEqual([c.title, c.persistent, c.members_only, c.moderated, c.max_users, c.whois, c.password_protected, c.password],
    ['Tea', true, true, false, 30, 'anyone', true, ' s p ']);
  assert.equal(c.allow_pm, DEFAULT_CONFIG.allow_pm);
  assert.ok(roomFeatures(c).includes('muc_persistent') && roomFeatures(c).includes('muc_nonanonymous') && roomFeatures(c).includes('muc_passwordprotected'));
  // What the form offers is what it accepts back.
  const offered = configForm(c, 100).getChildren('field').filter((f) => f.attrs.type !== 'hidden');
  const back = Object.fromEntries(offered.map((f) => [f.attrs.var as string, f.getChildText('value') ?? '']));
  assert.deepEqual(parseConfigForm(form(back), DEFAULT_CONFIG, 100), c);
});

test('configuration form errors: unknown field not-acceptable; wrong values bad-request; limits not-acceptable', () => {
  assert.equal(condition(parseConfigForm(form({ 'muc#roomconfig_frobnicate': '1' }), DEFAULT_CONFIG, 100)), 'not-acceptable');
  assert.equal(condition(parseConfigForm(form({ constructor: '1' }), DEFAULT_CONFIG, 100)), 'not-acceptable', 'no prototype keys');
  assert.equal(condition(parseConfigForm(form({ 'muc#roomconfig_membersonly': 'yes' }), DEFAULT_CONFIG, 100)), 'bad-request');
  assert.equal(condition(parseConfigForm(form({ 'muc#roomconfig_membersonly': ['1', '0'] }), DEFAULT_CONFIG, 100)), 'bad-request');
  assert.equal(condition(parseConfigForm(form({ 'muc#roomconfig_maxusers': '-3' }), DEFAULT_CONFIG, 100)), 'bad-request');
  assert.equal(condition(parseConfigForm(form({ 'muc#roomconfig_maxusers': '0' }), DEFAULT_CONFIG, 100)), 'not-acceptable');
  assert.equal(condition(parseConfigForm(form({ 'muc#roomconfig_maxusers': '101' }), DEFAULT_CONFIG, 100)), 'not-acceptable');
  assert.equal(condition(parseConfigForm(form({ 'muc#roomconfig_whois': 'everybody' }), DEFAULT_CONFIG, 100)), 'bad-request');
  assert.equal(condition(parseConfigForm(form({ 'muc#roomconfig_passwordprotectedroom': '1' }), DEFAULT_CONFIG, 100)), 'not-acceptable', 'no password');
  assert.equal(condition(parseConfigForm(form({}, 'form'), DEFAULT_CONFIG, 100)), 'bad-request');
  assert.equal(condition(parseConfigForm(form({}, 'submit', 'urn:other'), DEFAULT_CONFIG, 100)), 'bad-request');
});

test('nicknames and history requests', () => {
  assert.deepEqual(['', '   ', 'x'.repeat(129), 'Ünïcode nick', 'x'.repeat(128)].map((n) => condition(nickDenial(n))),
    ['jid-malformed', 'jid-malformed', 'jid-malformed', 'ok', 'ok']);
  const entries: HistoryEntry[] = [1, 2, 3, 4, 5].map((i) => ({ xml: `<message>${'m'.repeat(10)}${i}</message>`, at: i * 1000, nick: 'n' }));
  const h = (attrs: string) => parseHistoryRequest(parse(`<presence><x xmlns='http://jabber.org/protocol/muc'><history ${attrs}/></x></presence>`));
  const bodies = (attrs: string) => selectHistory(entries, h(attrs), 5000).map((e) => e.at / 1000);
  assert.deepEqual(bodies(''), [1, 2, 3, 4, 5]);
  assert.deepEqual(bodies("maxstanzas='2'"), [4, 5]);
  assert.deepEqual(bodies("maxstanzas='0'"), []);
  assert.deepEqual(bodies("maxchars='60'"), [4, 5], 'whole stanzas only');
  assert.deepEqual(bodies("seconds='2'"), [3, 4, 5]);
  assert.deepEqual(bodies("since='1970-01-01T00:00:04Z'"), [4, 5]);
  assert.deepEqual(bodies("maxstanzas='bogus' since='yesterday'"), [1, 2, 3, 4, 5], 'malformed limits are ignored');
});
