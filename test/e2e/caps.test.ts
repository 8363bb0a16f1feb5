/**
 * XEP-0115 entity capabilities end to end, with raw clients so the test says exactly what the
 * client answers: an unknown `ver` makes the server ask the client for disco#info of
 * `node#ver` once; a verified answer is cached (the next client with that `ver` is not asked);
 * an answer that does not hash to `ver` is not (the next one is asked again).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../support/server.js';
import { rawSession, type RawClient } from '../support/xmpp.js';
import { register, settle } from '../support/im.js';
import { parse, type Element } from 'ltx';
import { capsVer } from '../../src/caps/ver.js';
import { parseInfo } from '../../src/disco/info.js';

const NS_CAPS = 'http://jabber.org/protocol/caps';
const NS_INFO = 'http://jabber.org/protocol/disco#info';
/** XEP-0115 §5.2: this identity and these features hash (sha-1) to this ver. */
const EXODUS_VER = 'QgayPKawpkPSDYmwT/WM94uAlu0=';
const EXODUS_INFO =
  `<identity category='client' type='pc' name='Exodus 0.9.1'/>` +
  ['http://jabber.org/protocol/caps', NS_INFO, 'http://jabber.org/protocol/disco#items', 'http://jabber.org/protocol/muc']
    .map((f) => `<feature var='${f}'/>`).join('');

let server: TestServer;

before(async () => {
  server = await startServer();
  await register(server, 'alice');
});

after(async () => {
  await server?.stop();
});

const QUERY = /<iq[^>]*id=["'](caps-[0-9a-f]+)["'][^>]*>\s*<query[^>]*node=["']([^"']+)["']/;

/** A raw session that announces `ver`; resolves with the server's disco#info query (id, node), or null if none comes. */
async function announce(resource: string, ver: string, waitMs = 1500): Promise<{ c: RawClient; query: { id: string; node: string } | null }> {
  const c = await rawSession(server.ports.c2s_tls, 'alice', 'alice-pw', resource);
  c.write(`<presence><c xmlns='${NS_CAPS}' hash='sha-1' node='urn:test:client' ver='${ver}'/></presence>`);
  const text = await c.read((t) => QUERY.test(t), waitMs).catch(() => c.text());
  const m = QUERY.exec(text);
  return { c, query: m ? { id: m[1] as string, node: m[2] as string } : null };
}

const answer = (c: RawClient, id: string, node: string): void =>
  c.write(`<iq type='result' id='${id}' to='localhost'><query xmlns='${NS_INFO}' node='${node}'>${EXODUS_INFO}</query></iq>`);

test('an unknown ver is asked for once; the verified answer is cached', async () => {
  const first = await announce('one', EXODUS_VER);
  assert.ok(first.query, 'the server asks the client');
  assert.equal(first.query.node, `urn:test:client#${EXODUS_VER}`);
  answer(first.c, first.query.id, first.query.node);
  await settle(300);
  const second = await announce('two', EXODUS_VER, 800);
  assert.equal(second.query, null, 'a known ver is not asked again');
  assert.doesNotMatch(first.c.text(), /<stream:error/, 'the answer was taken, not bounced');
  first.c.end();
  second.c.end();
});

test('an answer that does not hash to ver is not cached; an error answer neither', async () => {
  const bogus = 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=';
  const first = await announce('three', bogus);
  assert.ok(first.query);
  answer(first.c, first.query.id, first.query.node); // Exodus' features: they hash to EXODUS_VER, not to `bogus`
  await settle(300);
  const second = await announce('four', bogus);
  assert.ok(second.query, 'asked again: the wrong answer was not cached');
  second.c.write(`<iq type='error' id='${second.query.id}' to='localhost'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`);
  await settle(300);
  const third = await announce('five', bogus);
  assert.ok(third.query, 'asked again after an error');
  for (const s of [first, second, third]) s.c.end();
});

test("a reply from another client, even a correct one, is not taken for the one asked", async () => {
  const extra = `${EXODUS_INFO}<feature var='urn:test:extra'/>`;
  const ver = capsVer(parseInfo(parse(`<query xmlns='${NS_INFO}'>${extra}</query>`) as Element), 'sha-1') as string;
  const asked = await announce('six', ver);
  assert.ok(asked.query);
  const impostor = await rawSession(server.ports.c2s_tls, 'alice', 'alice-pw', 'seven');
  impostor.write(`<iq type='result' id='${asked.query.id}' to='localhost'><query xmlns='${NS_INFO}' node='${asked.query.node}'>${extra}</query></iq>`);
  await settle(300);
  asked.c.write(`<iq type='error' id='${asked.query.id}' to='localhost'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`);
  await settle(300);
  const next = await announce('eight', ver);
  assert.ok(next.query, 'the impostor\'s answer was not cached');
  for (const c of [asked.c, impostor, next.c]) c.end();
});
