/**
 * Bad input (issue 3, ARCHITECTURE §9): each hostile stream gets its exact RFC 6120 error,
 * then `</stream:stream>` and close; a second client is served all along.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../support/server.js';
import { connect, raw, rawSession, streamOpen, xml, type RawClient, type TestClient } from '../support/xmpp.js';

let server: TestServer;
let bystander: TestClient;

before(async () => {
  server = await startServer();
  for (const [u, p] of [['mallory', 'mallory-pw'], ['bob', 'bob-pw']]) assert.equal((await server.ctl(['register', u as string, 'localhost', p as string])).code, 0);
  bystander = await connect({ port: server.ports.c2s, username: 'bob', password: 'bob-pw', resource: 'bystander' });
  await bystander.xmpp.send(xml('presence'));
});

after(async () => {
  await bystander?.stop();
  await server?.stop();
});

const STREAM_ERROR = (condition: string): RegExp =>
  new RegExp(`<stream:error><${condition} xmlns=['"]urn:ietf:params:xml:ns:xmpp-streams['"]/>.*</stream:error></stream:stream>`, 's');

/** The bystander still gets messages: the server was not hurt. */
async function bystanderServed(): Promise<void> {
  const probe = await rawSession(server.ports.c2s_tls, 'mallory', 'mallory-pw', `probe${Math.random()}`);
  probe.write(`<message to='bob@localhost/bystander' type='chat'><body>ping</body></message>`);
  const got = await bystander.next((el) => el.is('message') && el.getChildText('body') === 'ping');
  assert.ok(got);
  probe.end();
}

async function expectStreamError(c: RawClient, condition: string): Promise<void> {
  const text = await c.read((t) => t.includes('</stream:stream>'));
  assert.match(text, STREAM_ERROR(condition));
  await c.closed;
  await bystanderServed();
}

const preAuth: [string, string | Buffer, string][] = [
  ['mismatched end tag', '<message><body>hi</message>', 'not-well-formed'],
  ['DOCTYPE', '<!DOCTYPE foo [<!ENTITY x "y">]>', 'restricted-xml'],
  ['undefined entity', '<message><body>&foo;</body></message>', 'not-well-formed'],
  ['100-deep nesting', '<a>'.repeat(100), 'policy-violation'],
  // RFC 6120 §4.9.3.22: improperly encoded UTF-8 is unsupported-encoding.
  ['invalid UTF-8', Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x61, 0x3e]), 'unsupported-encoding'],
  ['stanza before authentication', "<message to='bob@localhost'><body>hi</body></message>", 'not-authorized'],
];

for (const [name, input, condition] of preAuth) {
  test(`${name} → ${condition}`, async () => {
    const c = await raw(server.ports.c2s_tls);
    c.write(streamOpen());
    await c.read((t) => t.includes('</stream:features>'));
    c.write(input);
    await expectStreamError(c, condition);
  });
}

test('1 MiB stanza → policy-violation, before the stanza ends', async () => {
  const c = await raw(server.ports.c2s_tls);
  c.write(streamOpen());
  await c.read((t) => t.includes('</stream:features>'));
  c.write('<message><body>');
  const chunk = 'x'.repeat(64 * 1024);
  for (let i = 0; i < 16; i++) c.write(chunk);
  await expectStreamError(c, 'policy-violation');
});

test('wrong stream namespace → invalid-namespace', async () => {
  const c = await raw(server.ports.c2s_tls);
  c.write("<stream:stream xmlns='jabber:client' xmlns:stream='http://example.com/wrong' to='localhost' version='1.0'>");
  await expectStreamError(c, 'invalid-namespace');
});

test('bytes before the stream header → not-well-formed', async () => {
  const c = await raw(server.ports.c2s_tls);
  c.write('hello' + streamOpen());
  await expectStreamError(c, 'not-well-formed');
});

test('unknown host → host-unknown', async () => {
  const c = await raw(server.ports.c2s_tls);
  c.write(streamOpen('nowhere.example'));
  await expectStreamError(c, 'host-unknown');
});

test('STARTTLS required: SASL on the plain port → policy-violation', async () => {
  const c = await raw(server.ports.c2s, false);
  c.write(streamOpen());
  const features = await c.read((t) => t.includes('</stream:features>'));
  assert.match(features, /<starttls xmlns=['"]urn:ietf:params:xml:ns:xmpp-tls['"]><required\/><\/starttls>/);
  assert.doesNotMatch(features, /<mechanisms/);
  c.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from('\0bob\0bob-pw').toString('base64')}</auth>`);
  await expectStreamError(c, 'policy-violation');
});

test('spoofed from → invalid-from', async () => {
  const c = await rawSession(server.ports.c2s_tls, 'mallory', 'mallory-pw', 'spoof');
  c.write("<message from='bob@localhost/bystander' to='bob@localhost'><body>I am bob</body></message>");
  await expectStreamError(c, 'invalid-from');
  assert.ok(!bystander.received.some((el) => el.getChildText('body') === 'I am bob'), 'the spoofed message went nowhere');
});

test('IQ without id → bad-request, the stream stays open', async () => {
  const c = await rawSession(server.ports.c2s_tls, 'mallory', 'mallory-pw', 'noid');
  c.write("<iq type='get' to='localhost'><query xmlns='jabber:iq:version'/></iq>");
  const text = await c.read((t) => t.includes('bad-request'));
  assert.match(text, /<iq[^>]*type=['"]error['"]/);
  assert.match(text, /<bad-request xmlns=['"]urn:ietf:params:xml:ns:xmpp-stanzas['"]/);
  c.write("<message to='bob@localhost/bystander' type='chat'><body>after bad iq</body></message>");
  await bystander.next((el) => el.getChildText('body') === 'after bad iq');
  c.end();
});

test('invalid to JID → jid-malformed, the stream stays open', async () => {
  const c = await rawSession(server.ports.c2s_tls, 'mallory', 'mallory-pw', 'badto');
  c.write("<message to='a@b@c' id='bad1'><body>x</body></message>");
  const text = await c.read((t) => t.includes('jid-malformed'));
  assert.match(text, /<jid-malformed xmlns=['"]urn:ietf:params:xml:ns:xmpp-stanzas['"]/);
  c.end();
  await bystanderServed();
});

test('a multi-byte character split across two writes arrives intact', async () => {
  const c = await rawSession(server.ports.c2s_tls, 'mallory', 'mallory-pw', 'utf8');
  const bytes = Buffer.from("<message to='bob@localhost/bystander' type='chat'><body>caf\u00e9 \u{1F600}</body></message>", 'utf8');
  const cut = bytes.indexOf(0xf0) + 2; // inside the 4-byte emoji
  c.write(bytes.subarray(0, cut));
  await new Promise((r) => setTimeout(r, 50));
  c.write(bytes.subarray(cut));
  const got = await bystander.next((el) => el.is('message') && (el.getChildText('body') ?? '').startsWith('caf'));
  assert.equal(got.getChildText('body'), 'caf\u00e9 \u{1F600}');
  c.end();
});

test('bytes sent with <starttls/> in the plaintext chunk do not leak into the TLS stream', async () => {
  const { connect: tlsConnect } = await import('node:tls');
  const { connect: netConnect } = await import('node:net');
  const plain = netConnect({ port: server.ports.c2s, host: '127.0.0.1' });
  let text = '';
  plain.on('data', (d: Buffer) => (text += d.toString()));
  plain.write(streamOpen());
  while (!text.includes('</stream:features>')) await new Promise((r) => setTimeout(r, 10));
  // An injected stream restart and stanza, riding along with <starttls/> (CVE-2011-0411 style).
  plain.write(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>${streamOpen()}<message to='bob@localhost/bystander'><body>injected</body></message>`);
  while (!text.includes('<proceed')) await new Promise((r) => setTimeout(r, 10));
  plain.removeAllListeners('data');
  const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
  await new Promise((r) => secure.once('secureConnect', r));
  let inside = '';
  secure.on('data', (d: Buffer) => (inside += d.toString()));
  secure.write(streamOpen());
  while (!inside.includes('</stream:features>')) await new Promise((r) => setTimeout(r, 10));
  assert.doesNotMatch(inside, /stream:error/, 'the fresh TLS stream is clean');
  assert.match(inside, /<mechanisms/);
  secure.destroy();
  await bystanderServed();
  assert.ok(!bystander.received.some((el) => el.getChildText('body') === 'injected'));
});
