/**
 * XEP-0313 Message Archive Management end to end, with XEP-0059 paging and XEP-0359 stanza ids:
 * alice writes to bob 120 times; bob pages through his archive forwards and backwards, finds
 * the stanza-id of every message he received as its archive id, and both find them after a
 * restart. `with` filters, preferences (never, always list), offline and blocked messages,
 * account removal, retention, and the errors the XEP names for bad queries.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { startServer, type TestServer } from '../support/server.js';
import { rawSession, xml, type TestClient } from '../support/xmpp.js';
import { condition, iq, login, register, settle } from '../support/im.js';

const NS_MAM = 'urn:xmpp:mam:2';
const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_SID = 'urn:xmpp:sid:0';
const N = 120;

let server: TestServer;
const CONFIG = { c2s: { stream_management: { resume_timeout: 1 } } }; // short XEP-0198 resumption: rerouted messages

before(async () => {
  server = await startServer(CONFIG);
  await register(server, 'alice', 'bob', 'carol', 'dave', 'eve', 'mallory');
});

after(() => server?.stop());

type Query = { fields?: Record<string, string | string[]>; rsm?: Element[]; to?: string; extra?: Element[] };
type Answer = { iq: Element; results: Element[]; fin: Element | undefined };
let queries = 0;

const field = (name: string, values: string[]) => xml('field', { var: name }, ...values.map((v) => xml('value', {}, v)));
const form = (fields: Record<string, string | string[]>): Element =>
  xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, field('FORM_TYPE', [NS_MAM]), ...Object.entries(fields).map(([k, v]) => field(k, Array.isArray(v) ? v : [v])));

/** A query (form, RSM <set/> children); the result messages, in the order received, arrive before the IQ result. */
async function mam(c: TestClient, q: Query = {}): Promise<Answer> {
  const queryid = `q${++queries}`;
  const children = [q.fields ? form(q.fields) : null, q.rsm ? xml('set', { xmlns: NS_RSM }, ...q.rsm) : null, ...(q.extra ?? [])].filter((e) => e !== null) as Element[];
  const answer = await iq(c, 'set', xml('query', { xmlns: NS_MAM, queryid }, ...children), q.to);
  const isResult = (el: Element) => el.is('message') && el.getChild('result', NS_MAM)?.attrs.queryid === queryid;
  const results = c.received.filter(isResult);
  c.received.splice(0, c.received.length, ...c.received.filter((el) => !isResult(el)));
  return { iq: answer, results, fin: answer.getChild('fin', NS_MAM) };
}

const max = (n: number | string) => xml('max', {}, String(n));
const rsmAfter = (id: string) => xml('after', {}, id);
const rsmBefore = (id = '') => xml('before', {}, id);
const resultId = (el: Element) => el.getChild('result', NS_MAM)?.attrs.id as string;
const forwarded = (el: Element) => el.getChild('result', NS_MAM)?.getChild('forwarded', 'urn:xmpp:forward:0') as Element;
const body = (el: Element) => forwarded(el).getChild('message')?.getChildText('body');
const setOf = (a: Answer) => a.fin?.getChild('set', NS_RSM) as Element;
const stanzaId = (el: Element, by: string) => el.getChildren('stanza-id', NS_SID).find((s) => s.attrs.by === by)?.attrs.id;
const chat = (to: string, text: string, ...extra: Element[]) => xml('message', { to, type: 'chat', id: text }, xml('body', {}, text), ...extra);
const isChat = (text: string) => (el: Element) => el.is('message') && el.getChildText('body') === text;

const online = (user: string, resource: string): Promise<TestClient> =>
  login(server, user, resource).then(async (c) => (await c.xmpp.send(xml('presence')), c));

/** body → the stanza-id bob's client got on it */
const delivered = new Map<string, string>();
let allIds: string[] = [];

test('120 messages: both archives page forwards and backwards in order, with counts and complete', async () => {
  const [a, b] = await Promise.all([online('alice', 'desk'), online('bob', 'phone')]);
  // A stanza-id claiming bob's archive, forged by the sender, is replaced (XEP-0359 §4).
  await a.xmpp.send(chat('bob@localhost', 'm1', xml('stanza-id', { xmlns: NS_SID, by: 'bob@localhost', id: 'forged' })));
  for (let i = 2; i <= N; i++) await a.xmpp.send(chat('bob@localhost', `m${i}`));
  for (let i = 1; i <= N; i++) {
    const m = await b.next(isChat(`m${i}`));
    assert.equal(m.getChildren('stanza-id', NS_SID).length, 1, 'one stanza-id, bob\'s, none of alice\'s archive');
    delivered.set(`m${i}`, stanzaId(m, 'bob@localhost') as string);
  }
  assert.notEqual(delivered.get('m1'), 'forged');
  const pages: Answer[] = [];
  let after: string | undefined;
  for (;;) {
    const p = await mam(b, { rsm: [max(50), ...(after ? [rsmAfter(after)] : [])] });
    assert.equal(p.iq.attrs.type, 'result');
    pages.push(p);
    if (p.fin?.attrs.complete === 'true') break;
    after = setOf(p).getChildText('last') as string;
    assert.ok(pages.length < 5, 'pages end');
  }
  const summary = (p: Answer) => [p.results.length, setOf(p).getChild('first')?.attrs.index, setOf(p).getChildText('count'), p.fin?.attrs.complete];
  assert.deepEqual(pages.map(summary), [[50, '0', '120', undefined], [50, '50', '120', undefined], [20, '100', '120', 'true']]);
  const results = pages.flatMap((p) => p.results);
  assert.deepEqual(results.map(body), Array.from({ length: N }, (_, i) => `m${i + 1}`), 'chronological');
  allIds = results.map(resultId);
  for (const r of results) assert.equal(resultId(r), delivered.get(body(r) as string), 'stanza-id = archive id');
  for (const p of pages) {
    assert.equal(setOf(p).getChildText('first'), resultId(p.results[0] as Element));
    assert.equal(setOf(p).getChildText('last'), resultId(p.results.at(-1) as Element));
  }
  const [first, inner] = [results[0] as Element, forwarded(results[0] as Element).getChild('message') as Element];
  assert.deepEqual([first.attrs.from, inner.attrs.from, inner.getChild('stanza-id')], ['bob@localhost', 'alice@localhost/desk', undefined]);
  assert.match(forwarded(first).getChild('delay', 'urn:xmpp:delay')?.attrs.stamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  // Backwards from the end: <before/>, then before the first of each page.
  const back: Answer[] = [await mam(b, { rsm: [max(50), rsmBefore()] })];
  while (back.at(-1)?.fin?.attrs.complete !== 'true') {
    back.push(await mam(b, { rsm: [max(50), rsmBefore(setOf(back.at(-1) as Answer).getChildText('first') as string)] }));
  }
  assert.deepEqual(back.map(summary), [[50, '70', '120', undefined], [50, '20', '120', undefined], [20, '0', '120', 'true']]);
  assert.deepEqual(back.reverse().flatMap((p) => p.results.map(resultId)), allIds);

  // Alice's archive holds the same 120, outgoing; the server caps a page at max_page (50).
  const mine = await mam(a, { rsm: [max(500)] });
  assert.deepEqual(summary(mine), [50, '0', '120', undefined]);
  assert.equal(forwarded(mine.results[0] as Element).getChild('message')?.attrs.to, 'bob@localhost');
  // Flipped page: same page, sent newest first.
  const flipped = await mam(b, { rsm: [max(5), rsmBefore()], extra: [xml('flip-page')] });
  assert.deepEqual(flipped.results.map(resultId), allIds.slice(-5).reverse());
  assert.equal(setOf(flipped).getChildText('first'), allIds.at(-5));
  await Promise.all([a.stop(), b.stop()]);
});

test('filters: with (bare and full), start/end, after-id/before-id, ids', async () => {
  const [a, b] = await Promise.all([online('alice', 'desk'), online('bob', 'phone')]);
  await b.xmpp.send(chat('alice@localhost', 'reply from bob'));
  await a.next(isChat('reply from bob'));
  for (const text of ['c1', 'c2', 'c3']) await a.xmpp.send(chat('carol@localhost', text));
  await settle(300);
  assert.equal(setOf(await mam(a, { fields: { with: 'carol@localhost' } })).getChildText('count'), '3');
  assert.equal(setOf(await mam(a, { fields: { with: 'bob@localhost' } })).getChildText('count'), String(N + 1));
  assert.deepEqual((await mam(a, { fields: { with: 'bob@localhost/phone' } })).results.map(body), ['reply from bob']);
  const stamp = async (id: string) => forwarded((await mam(b, { fields: { ids: id } })).results[0] as Element).getChild('delay')?.attrs.stamp as string;
  const range = await mam(b, { fields: { start: await stamp(allIds[10] as string), end: await stamp(allIds[19] as string) } });
  assert.deepEqual(range.results.map(resultId), allIds.slice(10, 20));
  const between = await mam(b, { fields: { 'after-id': allIds[0] as string, 'before-id': allIds[4] as string } });
  assert.deepEqual(between.results.map(resultId), allIds.slice(1, 4));
  assert.equal(between.fin?.attrs.complete, 'true');
  const some = await mam(b, { fields: { ids: [allIds[7] as string, allIds[3] as string] } });
  assert.deepEqual(some.results.map(resultId), [allIds[3], allIds[7]]);
  await Promise.all([a.stop(), b.stop()]);
});

test('preferences: default never is not archived (but the sender keeps its copy); always list wins', async () => {
  const [c, d, a] = await Promise.all([online('carol', 'pc'), online('dave', 'pc'), online('alice', 'p2')]);
  const prefs = async () => (await iq(c, 'get', xml('prefs', { xmlns: NS_MAM }))).getChild('prefs', NS_MAM) as Element;
  assert.equal((await prefs()).attrs.default, 'always', 'the module default');
  await iq(c, 'set', xml('prefs', { xmlns: NS_MAM, default: 'never' }, xml('always', {}, xml('jid', {}, 'alice@localhost')), xml('never')));
  const got = await prefs();
  assert.deepEqual([got.attrs.default, got.getChild('always')?.getChildren('jid').map((j) => j.getText())], ['never', ['alice@localhost']]);
  const before = Number(setOf(await mam(c)).getChildText('count'));
  await d.xmpp.send(chat('carol@localhost', 'not for the archive'));
  assert.equal(stanzaId(await c.next(isChat('not for the archive')), 'carol@localhost'), undefined, 'not archived: no stanza-id');
  await a.xmpp.send(chat('carol@localhost', 'alice is always kept'));
  const kept = await c.next(isChat('alice is always kept'));
  const all = await mam(c, { rsm: [max(50), rsmBefore()] });
  assert.equal(Number(setOf(all).getChildText('count')), before + 1);
  assert.deepEqual(all.results.map(body).slice(-1), ['alice is always kept']);
  assert.equal(resultId(all.results.at(-1) as Element), stanzaId(kept, 'carol@localhost'));
  assert.ok((await mam(d, { fields: { with: 'carol@localhost' } })).results.some((r) => body(r) === 'not for the archive'), "the sender's archive has it");
  await Promise.all([c.stop(), d.stop(), a.stop()]);
});

test('offline messages are archived once, and the copy delivered later carries the same stanza-id', async () => {
  const a = await online('alice', 'p3');
  await a.xmpp.send(chat('eve@localhost', 'while you were out'));
  await settle(300);
  const e = await login(server, 'eve', 'phone'); // no presence yet: offline storage holds it
  const r = await mam(e);
  assert.deepEqual(r.results.map(body), ['while you were out']);
  await e.xmpp.send(xml('presence'));
  assert.equal(stanzaId(await e.next(isChat('while you were out')), 'eve@localhost'), resultId(r.results[0] as Element));
  await Promise.all([a.stop(), e.stop()]);
});

test('carbons: the sent copy shows the sender its archive id, the recipient never sees it', async () => {
  const [phone, laptop, b] = await Promise.all([online('alice', 'phone'), online('alice', 'laptop'), online('bob', 'home')]);
  for (const c of [phone, laptop]) assert.equal((await iq(c, 'set', xml('enable', { xmlns: 'urn:xmpp:carbons:2' }))).attrs.type, 'result');
  await phone.xmpp.send(chat('bob@localhost/home', 'carbon copied'));
  const got = await b.next(isChat('carbon copied'));
  assert.equal(stanzaId(got, 'alice@localhost'), undefined, "alice's archive id is not for bob");
  const sent = await laptop.next((el) => el.getChild('sent', 'urn:xmpp:carbons:2') !== undefined);
  const copy = sent.getChild('sent')?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message') as Element;
  const [last] = (await mam(laptop, { rsm: [max(1), rsmBefore()] })).results as [Element];
  assert.deepEqual([body(last), stanzaId(copy, 'alice@localhost')], ['carbon copied', resultId(last)]);
  await Promise.all([phone.stop(), laptop.stop(), b.stop()]);
});

test('a message to oneself is archived once, and arrives with that archive id', async () => {
  const [desk, laptop] = await Promise.all([online('carol', 'desk'), online('carol', 'laptop')]);
  await iq(desk, 'set', xml('prefs', { xmlns: NS_MAM, default: 'always' }));
  await desk.xmpp.send(chat('carol@localhost/laptop', 'note to self'));
  const m = await laptop.next(isChat('note to self'));
  const mine = (await mam(laptop, { fields: { with: 'carol@localhost' } })).results.filter((r) => body(r) === 'note to self');
  assert.equal(mine.length, 1);
  assert.equal(stanzaId(m, 'carol@localhost'), resultId(mine[0] as Element));
  await Promise.all([desk.stop(), laptop.stop()]);
});

test('a message rerouted after its session vanished unacknowledged (XEP-0198) is archived once', async () => {
  const raw = await rawSession(server.ports.c2s_tls, 'dave', 'dave-pw', 'flaky');
  raw.write("<presence/><enable xmlns='urn:xmpp:sm:3' resume='true'/>");
  await raw.read((t) => t.includes('<enabled'));
  const a = await online('alice', 'sm');
  await a.xmpp.send(chat('dave@localhost', 'never acked'));
  await raw.read((t) => t.includes('never acked'));
  raw.end(); // no ack: after the resume timeout the message goes to offline storage
  await settle(1800);
  const d = await login(server, 'dave', 'back');
  const archived = (await mam(d, { fields: { with: 'alice@localhost' } })).results.filter((r) => body(r) === 'never acked');
  assert.equal(archived.length, 1);
  await d.xmpp.send(xml('presence'));
  assert.equal(stanzaId(await d.next(isChat('never acked')), 'dave@localhost'), resultId(archived[0] as Element));
  await Promise.all([a.stop(), d.stop()]);
});

test('a blocked sender leaves nothing in the archive (XEP-0313 §5.1)', async () => {
  const b = await online('bob', 'phone');
  assert.equal((await iq(b, 'set', xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: 'mallory@localhost' })))).attrs.type, 'result');
  const mal = await online('mallory', 'x');
  await mal.xmpp.send(chat('bob@localhost', 'let me in'));
  await settle(300);
  assert.ok(!(await mam(b, { fields: { with: 'mallory@localhost' } })).results.length);
  await iq(b, 'set', xml('unblock', { xmlns: 'urn:xmpp:blocking' }));
  await Promise.all([b.stop(), mal.stop()]);
});

test('bad queries: invalid RSM → bad-request, unknown field → feature-not-implemented, missing ids → item-not-found, others → forbidden', async () => {
  const [a, b] = await Promise.all([online('alice', 'bad'), online('bob', 'bad')]);
  const cases: [TestClient, Query, string][] = [
    ...[[max(-1)], [max('ten')], [max('')], [rsmAfter('x'), rsmBefore('y')]].map((rsm): [TestClient, Query, string] => [b, { rsm }, 'bad-request']),
    [b, { fields: { 'full-text-search': 'x' } }, 'feature-not-implemented'], // XEP-0313 §4.1.5
    [b, { fields: { start: 'last tuesday' } }, 'bad-request'],
    [b, { rsm: [rsmAfter('0000000000000000nosuch')] }, 'item-not-found'],
    [b, { rsm: [rsmBefore('nosuch')] }, 'item-not-found'],
    [b, { fields: { 'before-id': 'nosuch' } }, 'item-not-found'],
    [b, { fields: { ids: ['nosuch'] } }, 'item-not-found'],
    [a, { rsm: [rsmAfter(allIds[0] as string)] }, 'item-not-found'], // bob's ids are not in alice's archive
  ];
  for (const [i, [c, q, expected]] of cases.entries()) assert.equal(condition((await mam(c, q)).iq), expected, `case ${i}`);
  const theirs = await mam(a, { to: 'bob@localhost' });
  assert.deepEqual([condition(theirs.iq), theirs.results.length], ['forbidden', 0]);
  assert.equal(condition(await iq(a, 'get', xml('prefs', { xmlns: NS_MAM }), 'bob@localhost')), 'forbidden');
  assert.equal(condition(await iq(b, 'set', xml('prefs', { xmlns: NS_MAM, default: 'sometimes' }))), 'bad-request');
  await Promise.all([a.stop(), b.stop()]);
});

test('disco on the bare JID, the query form, archive metadata', async () => {
  const b = await online('bob', 'disco');
  const info = await iq(b, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), 'bob@localhost');
  const features = info.getChild('query')?.getChildren('feature').map((f) => f.attrs.var) ?? [];
  for (const f of [NS_MAM, `${NS_MAM}#extended`, NS_SID]) assert.ok(features.includes(f), f);
  const fields = (await iq(b, 'get', xml('query', { xmlns: NS_MAM }))).getChild('query', NS_MAM)?.getChild('x', 'jabber:x:data')?.getChildren('field').map((f) => f.attrs.var);
  assert.deepEqual(fields, ['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids']);
  const meta = (await iq(b, 'get', xml('metadata', { xmlns: NS_MAM }))).getChild('metadata', NS_MAM) as Element;
  assert.ok(meta.getChild('start')?.attrs.id === allIds[0] && meta.getChild('end')?.attrs.timestamp);
  await b.stop();
});

test('the archives survive a restart, ids unchanged, new ids after them', async () => {
  await server.stop();
  server = await startServer({ reuseDir: server.dir, ...CONFIG });
  const [a, b] = await Promise.all([online('alice', 'again'), online('bob', 'again')]);
  assert.deepEqual((await mam(b, { rsm: [max(50)] })).results.map(resultId), allIds.slice(0, 50));
  await a.xmpp.send(chat('bob@localhost', 'after the restart'));
  const m = await b.next(isChat('after the restart'));
  const last = await mam(b, { rsm: [max(1), rsmBefore()] });
  assert.equal(resultId(last.results[0] as Element), stanzaId(m, 'bob@localhost'));
  assert.ok((stanzaId(m, 'bob@localhost') as string) > (allIds.at(-1) as string));
  await Promise.all([a.stop(), b.stop()]);
});

test('account removal deletes the archive and the preferences', async () => {
  const e = await online('eve', 'bye');
  await iq(e, 'set', xml('prefs', { xmlns: NS_MAM, default: 'never' }));
  assert.equal((await mam(e)).results.length, 1);
  // mod_register closes the session as it removes the account, so the result may never arrive.
  await e.xmpp.send(xml('iq', { type: 'set', id: 'unreg' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('remove'))));
  await e.stop();
  let registered = false;
  for (let i = 0; i < 40 && !(registered = (await server.ctl(['register', 'eve', 'localhost', 'eve-pw'])).code === 0); i++) await settle(100);
  assert.ok(registered, 'the account was removed');
  await settle(200);
  const again = await online('eve', 'new');
  assert.equal(setOf(await mam(again)).getChildText('count'), '0');
  assert.equal((await iq(again, 'get', xml('prefs', { xmlns: NS_MAM }))).getChild('prefs', NS_MAM)?.attrs.default, 'always');
  await again.stop();
});

test('retention: expired messages are gone from queries', async () => {
  const short = await startServer({ modules: { mod_mam: { retention_days: 1 / 86_400 } } }); // one second
  try {
    await register(short, 'alice', 'bob');
    const [a, b] = await Promise.all([login(short, 'alice', 'r'), login(short, 'bob', 'r')]);
    await a.xmpp.send(chat('bob@localhost', 'soon gone'));
    await settle(200);
    assert.equal((await mam(b)).results.length, 1);
    await settle(1200);
    assert.equal((await mam(b)).results.length, 0);
    await Promise.all([a.stop(), b.stop()]);
  } finally {
    await short.stop();
  }
});
