/** XEP-0077 in-band registration with `registration: open`; refused when closed. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../support/server.js';
import { connect, raw, streamOpen } from '../support/xmpp.js';

let open: TestServer;

before(async () => {
  open = await startServer({ registration: 'open' });
});

after(async () => {
  await open?.stop();
});

async function registerRaw(port: number, user: string, password: string): Promise<string> {
  const c = await raw(port);
  c.write(streamOpen());
  const features = await c.read((t) => t.includes('</stream:features>'));
  c.write(`<iq type='set' id='reg1'><query xmlns='jabber:iq:register'><username>${user}</username><password>${password}</password></query></iq>`);
  const reply = await c.read((t) => /id=['"]reg1['"]/.test(t));
  c.end();
  return features + reply;
}

test('a new account registered in band can log in; the feature is advertised', async () => {
  const text = await registerRaw(open.ports.c2s_tls, 'newbie', 'newbie-pw');
  assert.match(text, /<register xmlns=['"]http:\/\/jabber.org\/features\/iq-register['"]/);
  assert.match(text, /<iq[^>]*type=['"]result['"][^>]*id=['"]reg1['"]|<iq[^>]*id=['"]reg1['"][^>]*type=['"]result['"]/);
  const c = await connect({ port: open.ports.c2s, username: 'newbie', password: 'newbie-pw' });
  assert.equal(c.xmpp.jid?.toString().split('/')[0], 'newbie@localhost');
  await c.stop();
  const users = await open.ctl(['registered-users', 'localhost']);
  assert.match(users.stdout, /newbie/);
});

test('registering a taken username → conflict; a bad username → jid-malformed', async () => {
  await registerRaw(open.ports.c2s_tls, 'taken', 'pw-1');
  assert.match(await registerRaw(open.ports.c2s_tls, 'taken', 'pw-2'), /<conflict xmlns=['"]urn:ietf:params:xml:ns:xmpp-stanzas['"]/);
  assert.match(await registerRaw(open.ports.c2s_tls, 'bad@name', 'pw'), /<jid-malformed xmlns=/);
  assert.match(await registerRaw(open.ports.c2s_tls, '', 'pw'), /<not-acceptable xmlns=/);
});

test('registration closed (the default): service-unavailable, no feature', async () => {
  const closed = await startServer();
  try {
    const text = await registerRaw(closed.ports.c2s_tls, 'someone', 'pw');
    assert.doesNotMatch(text, /iq-register/);
    assert.match(text, /<service-unavailable xmlns=/);
    assert.doesNotMatch((await closed.ctl(['registered-users', 'localhost'])).stdout, /someone/);
  } finally {
    await closed.stop();
  }
});

test('a user cancels its account: the result arrives, then the stream closes, and the account is gone', async () => {
  await registerRaw(open.ports.c2s_tls, 'leaving', 'leaving-pw');
  const { rawSession } = await import('../support/xmpp.js');
  const c = await rawSession(open.ports.c2s_tls, 'leaving', 'leaving-pw', 'last');
  c.write("<iq type='set' id='rm1'><query xmlns='jabber:iq:register'><remove/></query></iq>");
  const text = await c.read((t) => t.includes('</stream:stream>'));
  const result = text.search(/<iq[^>]*id=['"]rm1['"][^>]*>|<iq[^>]*type=['"]result['"][^>]*id=['"]rm1['"]/);
  assert.ok(result >= 0, 'the removal was answered');
  assert.ok(result < text.indexOf('<stream:error>'), 'before the stream closed');
  await assert.rejects(connect({ port: open.ports.c2s, username: 'leaving', password: 'leaving-pw' }), /not-authorized/);
});
