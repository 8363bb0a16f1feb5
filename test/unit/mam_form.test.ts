/**
 * The pure parts of XEP-0313: the query form (§4.1; unknown field → feature-not-implemented,
 * §4.1.5), preferences (XEP-0441 JID matching), archive ids (XEP-0359: sortable by time,
 * unpredictable tail) and the stanza-id stamp (only ours replaced).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, type Element } from 'ltx';
import { parseJid } from '../../src/jid.js';
import { isStanzaError } from '../../src/stanza/error.js';
import { parseQueryForm, queryForm } from '../../src/mam/form.js';
import { archiveRule, parsePrefs, prefsElement } from '../../src/mam/prefs.js';
import { archiveId, idTime, isArchiveId, MonotonicClock, parseDateTime, stampOf, timeKey } from '../../src/mam/id.js';
import { isArchivable, resultMessage, stanzaIdOf, withoutStanzaId, withStanzaId } from '../../src/mam/archive.js';

const form = (fields: string, type = 'submit') =>
  parse(`<x xmlns='jabber:x:data' type='${type}'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>${fields}</x>`);
const f = (name: string, ...values: string[]) => `<field var='${name}'>${values.map((v) => `<value>${v}</value>`).join('')}</field>`;
const condition = (r: unknown) => (isStanzaError(r) ? r.condition : 'ok');

test('query form: with, start, end, before-id, after-id, ids', () => {
  const r = parseQueryForm(form(f('with', 'Juliet@Capulet.lit') + f('start', '2010-06-07T00:00:00Z') + f('end', '2010-07-07T13:23:54.5+02:00') + f('after-id', 'a') + f('before-id', 'b') + f('ids', 'x', 'y')));
  assert.ok(!isStanzaError(r));
  assert.equal(r.with?.toString(), 'juliet@capulet.lit');
  assert.equal(r.start, Date.parse('2010-06-07T00:00:00Z') * 1000);
  assert.equal(r.end, Date.parse('2010-07-07T11:23:54.500Z') * 1000);
  assert.deepEqual([r.afterId, r.beforeId, r.ids], ['a', 'b', ['x', 'y']]);
  assert.deepEqual(parseQueryForm(undefined), {});
  assert.deepEqual(parseQueryForm(form(f('with'))), {}, 'an empty field filters nothing');
});

test('query form: unknown field → feature-not-implemented; bad values → bad-request / jid-malformed', () => {
  assert.equal(condition(parseQueryForm(form(f('include-groupchat', 'true')))), 'feature-not-implemented');
  assert.equal(condition(parseQueryForm(form(f('{urn:example}full-text', 'x')))), 'feature-not-implemented');
  assert.equal(condition(parseQueryForm(form(f('start', 'yesterday')))), 'bad-request');
  assert.equal(condition(parseQueryForm(form(f('end', '2010-13-45T99:00:00Z')))), 'bad-request');
  assert.equal(condition(parseQueryForm(form(f('with', 'a@b', 'c@d')))), 'bad-request');
  assert.equal(condition(parseQueryForm(form(f('with', '@nope')))), 'jid-malformed');
  assert.equal(condition(parseQueryForm(form('', 'form'))), 'bad-request');
  assert.equal(condition(parseQueryForm(parse("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:1</value></field></x>"))), 'bad-request');
  assert.equal(condition(parseQueryForm(form(f('start', '2010-06-07T00:00:00Z') + f('start', '2010-06-07T00:00:00Z')))), 'bad-request');
  assert.equal(condition(parseQueryForm(form('<field><value>x</value></field>'))), 'bad-request');
});

test('the form lists every field this server understands, none required', () => {
  const x = queryForm().getChild('x', 'jabber:x:data') as Element;
  assert.deepEqual(x.getChildren('field').map((fl) => fl.attrs.var), ['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids']);
  assert.ok(!x.getChildren('field').some((fl) => fl.getChild('required')));
});

test('preferences: parse, build, match (bare matches every resource, never beats always)', () => {
  const p = parsePrefs(parse("<prefs xmlns='urn:xmpp:mam:2' default='roster'><always><jid>Romeo@montague.lit</jid></always><never><jid>romeo@montague.lit/orchard</jid><jid>tybalt@capulet.lit</jid></never></prefs>"));
  assert.ok(!isStanzaError(p));
  assert.deepEqual(p, { default: 'roster', always: ['romeo@montague.lit'], never: ['romeo@montague.lit/orchard', 'tybalt@capulet.lit'] });
  assert.equal(archiveRule(p, parseJid('romeo@montague.lit/balcony')), 'always');
  assert.equal(archiveRule(p, parseJid('romeo@montague.lit/orchard')), 'never');
  assert.equal(archiveRule(p, parseJid('tybalt@capulet.lit/x')), 'never');
  assert.equal(archiveRule(p, parseJid('nurse@capulet.lit')), 'roster');
  const el = prefsElement({ default: 'always', always: [], never: [] });
  assert.equal(el.attrs.default, 'always');
  assert.ok(el.getChild('always') && el.getChild('never'), 'both lists, even empty');
  assert.equal(condition(parsePrefs(parse("<prefs xmlns='urn:xmpp:mam:2' default='sometimes'/>"))), 'bad-request');
  assert.equal(condition(parsePrefs(parse("<prefs xmlns='urn:xmpp:mam:2'/>"))), 'bad-request');
  assert.equal(condition(parsePrefs(parse("<prefs xmlns='urn:xmpp:mam:2' default='never'><never><jid>@x</jid></never></prefs>"))), 'jid-malformed');
});

test('ids: fixed-width time then a random tail; string order is time order; the clock only grows', () => {
  const a = archiveId(1_700_000_000_000_001);
  const b = archiveId(1_700_000_000_000_002);
  assert.ok(isArchiveId(a) && isArchiveId(b));
  assert.ok(a < b);
  assert.equal(idTime(a), 1_700_000_000_000_001);
  assert.ok(timeKey(1_700_000_000_000_001) <= a && a < timeKey(1_700_000_000_000_002));
  assert.notEqual(archiveId(5).slice(16), archiveId(5).slice(16), 'unpredictable tails (1 in 2^30 to collide)');
  let now = 1000;
  const clock = new MonotonicClock(() => now);
  const t1 = clock.next();
  const t2 = clock.next();
  now = 500; // the wall clock steps back
  const t3 = clock.next();
  const t4 = clock.next(t3 + 1000); // an archive already holds a later id
  assert.ok(t1 < t2 && t2 < t3 && t3 + 1000 < t4);
  assert.equal(stampOf(1_700_000_000_123_456), '2023-11-14T22:13:20.123456Z');
  assert.equal(parseDateTime('2023-11-14T22:13:20.123456Z'), 1_700_000_000_123_456);
  assert.equal(parseDateTime('2023-11-14 22:13:20Z'), null);
});

test('stanza-id: only the one `by` this archive is replaced; archivable = chat/normal with a body', () => {
  const m = parse("<message type='chat'><body>hi</body><stanza-id xmlns='urn:xmpp:sid:0' by='juliet@capulet.lit' id='forged'/><stanza-id xmlns='urn:xmpp:sid:0' by='room@muc' id='keep'/></message>");
  const stamped = withStanzaId(m, 'juliet@capulet.lit', 'real');
  assert.equal(stanzaIdOf(stamped, 'juliet@capulet.lit'), 'real');
  assert.equal(stanzaIdOf(stamped, 'room@muc'), 'keep');
  assert.equal(stamped.getChildren('stanza-id', 'urn:xmpp:sid:0').length, 2);
  assert.equal(stanzaIdOf(m, 'juliet@capulet.lit'), 'forged', 'the original is not modified');
  const plain = parse("<message><body>x</body></message>");
  assert.equal(withoutStanzaId(plain, 'a@b'), plain, 'nothing to strip: the same element');
  assert.ok(isArchivable(plain));
  assert.ok(!isArchivable(parse("<message type='headline'><body>x</body></message>")));
  assert.ok(!isArchivable(parse("<message type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>")));
  const r = resultMessage({ from: 'j@c', to: 'j@c/r', queryid: 'q1' }, archiveId(1_700_000_000_000_000), plain);
  const result = r.getChild('result', 'urn:xmpp:mam:2') as Element;
  assert.equal(result.attrs.queryid, 'q1');
  assert.equal(result.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp, '2023-11-14T22:13:20.000000Z');
  assert.equal(result.getChild('forwarded')?.getChild('message')?.attrs.xmlns, 'jabber:client');
});
