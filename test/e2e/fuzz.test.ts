/**
 * Fuzzing a running node over real TLS sockets (issue #8): mutated streams before
 * authentication, mutated SASL exchanges, and mutated stanzas in an authenticated session.
 * Each connection must end in well-formed output (answers, or a defined stream error then
 * `</stream:stream>`), never `internal-server-error`; a bystander session is served all along
 * and receives nothing with a forged `from`; afterwards the node holds exactly the connections it
 * held before, and no process but those c2s exited (every other pid and restart count unchanged).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Element } from 'ltx';
import type { TreeNode } from '../../src/control/protocol.js';
import { StreamParser } from '../../src/xml/stream_parser.js';
import { STREAM_ERROR_CONDITIONS } from '../../src/xml/stream_error.js';
import { NS_STREAM_ERRORS } from '../../src/xml/ns.js';
import { startServer, type TestServer } from '../support/server.js';
import { connect, raw, rawSession, streamOpen, xml, type RawClient, type TestClient } from '../support/xmpp.js';
import { settle } from '../support/im.js';
import { fuzzCount, fuzzParams, mutateBytes, xmlElement } from '../support/fuzz.js';

let server: TestServer;
let bystander: TestClient;

before(async () => {
  // Thousands of bad SASL attempts from one address would otherwise be slowed by the back-off.
  server = await startServer({ limits: { max_auth_failures: 1_000_000 } });
  for (const user of ['mallory', 'bob']) assert.equal((await server.ctl(['register', user, 'localhost', `${user}-pw`])).code, 0);
  bystander = await connect({ port: server.ports.c2s, username: 'bob', password: 'bob-pw', resource: 'bystander' });
  await bystander.xmpp.send(xml('presence'));
});

after(async () => {
  await bystander?.stop();
  await server?.stop();
});

const plain = (user: string, pw: string): string => Buffer.from(`\0${user}\0${pw}`).toString('base64');
const realistic = fc.constantFrom(
  "<message to='bob@localhost/bystander' type='chat'><body>hi</body></message>",
  "<message to='bob@localhost' from='admin@localhost/console'><body>forged</body></message>",
  "<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>",
  "<iq type='set' id='r2'><query xmlns='jabber:iq:roster'><item jid='bob@localhost'/></query></iq>",
  "<iq type='get' id='v1' to='localhost'><query xmlns='jabber:iq:version'/></iq>",
  "<iq type='get' id='p1'><vCard xmlns='vcard-temp'/></iq>",
  "<presence/>", "<presence type='subscribe' to='bob@localhost'/>", "<r xmlns='urn:xmpp:sm:3'/>", "<inactive xmlns='urn:xmpp:csi:0'/>",
);
const stanzas = fc.array(fc.oneof(realistic, xmlElement), { minLength: 1, maxLength: 5 }).map((a) => a.join(''));
const saslAuth = fc.constantFrom(
  `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain('mallory', 'mallory-pw')}</auth>`,
  `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain('mallory', 'wrong')}</auth>`,
  `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>${Buffer.from('n,,n=mallory,r=abcdef').toString('base64')}</auth>`,
  `<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${Buffer.from('c=biws,r=abcdefXYZ,p=AAAA').toString('base64')}</response>`,
  "<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
);

type Case = { kind: 'stream' | 'sasl' | 'session'; input: Buffer; cuts: number[] };
const cases = fc.oneof(
  fc.record({ kind: fc.constant('stream' as const), input: mutateBytes(stanzas.map((s) => streamOpen() + s)), cuts: fc.array(fc.nat(), { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('sasl' as const), input: mutateBytes(fc.array(saslAuth, { minLength: 1, maxLength: 3 }).map((a) => streamOpen() + a.join(''))), cuts: fc.array(fc.nat(), { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('session' as const), input: mutateBytes(stanzas), cuts: fc.array(fc.nat(), { maxLength: 4 }) }),
);

/** Closes whatever the input left open (an XML declaration, CDATA, an attribute value, a tag), then the stream. */
const TERMINATOR = `?>]]>'"></stream:stream>`;

async function run(c: Case, n: number): Promise<string> {
  const client: RawClient = c.kind === 'session' ? await rawSession(server.ports.c2s_tls, 'mallory', 'mallory-pw', `fuzz${n}`) : await raw(server.ports.c2s_tls);
  const start = client.text().length;
  const points = [...c.cuts.map((x) => x % (c.input.length + 1)), c.input.length].sort((a, b) => a - b);
  for (const [i, p] of points.entries()) client.write(c.input.subarray(i ? points[i - 1] : 0, p));
  client.write(TERMINATOR);
  const ended = (t: string): boolean => t.slice(start).includes('</stream:stream>');
  // After <success/> the server discards what followed and waits for a new stream (RFC 6120 §6.4.6).
  const restarting = (t: string): boolean => /<success [^>]*\/>$/.test(t);
  let out = await client.read((t) => ended(t) || restarting(t), 10_000);
  if (!ended(out)) {
    client.write(streamOpen() + TERMINATOR);
    out = await client.read(ended, 10_000);
  }
  client.end();
  return out;
}

/** Every stream the server wrote (one per restart) is well-formed; its stream error, if any, is a defined one. */
function checkOutput(out: string, c: Case): void {
  const context = `input ${JSON.stringify(c.input.toString('latin1'))}\noutput ${out}`;
  assert.match(out, /<\/stream:stream>$/, `the connection ends with the stream\n${context}`);
  for (const part of out.split("<?xml version='1.0'?>").filter((p) => p !== '')) {
    const errors: string[] = [];
    const els: Element[] = [];
    const parser = new StreamParser({ streamStart() {}, stanza: (el) => els.push(el), streamEnd() {}, error: (e) => errors.push(e.condition) });
    parser.write(Buffer.from(part));
    assert.deepEqual(errors, [], `the server's output is well-formed\n${context}`);
    for (const error of els.filter((el) => el.name === 'stream:error')) {
      const condition = error.children.find((x): x is Element => typeof x !== 'string' && x.attrs.xmlns === NS_STREAM_ERRORS && x.name !== 'text')?.name;
      assert.ok((STREAM_ERROR_CONDITIONS as readonly string[]).includes(condition ?? ''), `defined condition ${condition}\n${context}`);
      assert.notEqual(condition, 'internal-server-error', `no c2s crashed\n${context}`);
    }
  }
}

async function bystanderServed(tag: string): Promise<void> {
  const probe = await rawSession(server.ports.c2s_tls, 'mallory', 'mallory-pw', `probe-${tag}`);
  probe.write(`<message to='bob@localhost/bystander' type='chat'><body>ping ${tag}</body></message>`);
  await bystander.next((el) => el.is('message') && el.getChildText('body') === `ping ${tag}`);
  probe.end();
}

const tree = async (): Promise<TreeNode> => JSON.parse((await server.ctl(['--json', 'tree'])).stdout) as TreeNode;
const connections = (t: TreeNode): number => t.children?.find((c) => c.id === 'c2s_sup')?.children?.length ?? 0;
/** Every process but the connections: name → pid and restarts. */
function others(t: TreeNode, out = new Map<string, string>()): Map<string, string> {
  if (t.id === 'c2s_sup') return out;
  out.set(t.id, `${t.pid} restarts=${t.restarts}`);
  for (const c of t.children ?? []) others(c, out);
  return out;
}

test('mutated streams, SASL exchanges and stanzas over TLS: each ends well, nobody else is hurt', { timeout: 600_000 }, async () => {
  const before = await tree();
  const samples = fc.sample(cases, { ...fuzzParams(0), numRuns: fuzzCount(30) });
  for (const [n, c] of samples.entries()) {
    checkOutput(await run(c, n), c);
    if (n % 10 === 9) await bystanderServed(String(n));
  }
  await bystanderServed('end');
  const forged = bystander.received.filter((el) => el.name !== 'iq' && !/^(mallory@localhost(\/|$)|localhost$|bob@localhost\/bystander$)/.test(el.attrs.from ?? ''));
  assert.deepEqual(forged.map(String), [], 'nothing reached the bystander with a forged from');
  let now = await tree();
  for (let i = 0; i < 50 && connections(now) !== connections(before); i++) {
    await settle(100);
    now = await tree();
  }
  assert.equal(connections(now), connections(before), 'every fuzzed connection is gone, the bystander stays');
  assert.deepEqual(others(now), others(before), 'no other process exited or restarted');
});
