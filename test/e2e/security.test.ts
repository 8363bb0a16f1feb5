/**
 * The security review's checks that need a running node (SECURITY.md): no plaintext password
 * in the database, a backup or the debug log; TLS below 1.2 refused on both TLS paths; the
 * SCRAM iteration count is the configured one; the observer refuses a non-loopback client
 * without the token. (The control socket's mode 0600 is checked in troupectl.test.ts, a forged
 * `from` in bad_input.test.ts and fuzz.test.ts.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { startServer, type TestServer } from '../support/server.js';
import { connect, raw, rawSession, streamOpen } from '../support/xmpp.js';
import { settle } from '../support/im.js';

const SECRETS = { registered: 'Tr0ub4dor&3-ctl', inBand: 'correct-horse-inband', changed: 'battery-staple-new', wrong: 'wrong-guess-9f2c' };
const plainPayload = (user: string, pw: string): string => Buffer.from(`\0${user}\0${pw}`).toString('base64');

/** Every way a password could sit in bytes we look at: as is, and inside a base64 PLAIN payload. */
function leaks(haystack: Buffer, label: string): string[] {
  return Object.values(SECRETS).flatMap((pw) =>
    [pw, plainPayload('alice', pw), plainPayload('mallory', pw)].filter((needle) => haystack.includes(needle)).map((needle) => `${label}: ${needle}`),
  );
}

/** The keys and values of a backup file (JSON lines of base64), decoded. */
async function backupBytes(server: TestServer): Promise<Buffer> {
  const file = path.join(server.dir, 'troupe.backup');
  assert.equal((await server.ctl(['backup', file])).code, 0);
  const lines = (await readFile(file, 'utf8')).trim().split('\n').slice(1).map((l) => JSON.parse(l) as { k: string; v: string });
  assert.ok(lines.length > 0);
  return Buffer.concat(lines.flatMap((l) => [Buffer.from(l.k, 'base64'), Buffer.from(l.v, 'base64')]));
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && !e.name.endsWith('.sock')).map((e) => path.join(e.parentPath, e.name));
}

describe('no plaintext password in storage, backups or logs', () => {
  test('scram (the default): logins, failures, in-band registration and password changes leave no password behind', async () => {
    const server = await startServer({ env: { TROUPE_LOGLEVEL: 'debug' }, registration: 'open', auth: { scram_iterations: 5000 } });
    try {
      assert.equal((await server.ctl(['register', 'alice', 'localhost', SECRETS.registered])).code, 0);
      const mallory = await raw(server.ports.c2s_tls);
      mallory.write(streamOpen());
      await mallory.read((t) => t.includes('</stream:features>'));
      mallory.write(`<iq type='set' id='reg1'><query xmlns='jabber:iq:register'><username>mallory</username><password>${SECRETS.inBand}</password></query></iq>`);
      await mallory.read((t) => /id=['"]reg1['"]/.test(t));
      mallory.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plainPayload('alice', SECRETS.wrong)}</auth>`);
      await mallory.read((t) => t.includes('</failure>'));
      mallory.end();
      // SCRAM with the configured iteration count, then PLAIN, then an in-band password change.
      const scram = await connect({ port: server.ports.c2s, username: 'alice', password: SECRETS.registered, resource: 'scram' });
      await scram.stop();
      const alice = await rawSession(server.ports.c2s_tls, 'alice', SECRETS.registered, 'plain');
      alice.write(`<iq type='set' id='pw1'><query xmlns='jabber:iq:register'><username>alice</username><password>${SECRETS.changed}</password></query></iq>`);
      assert.match(await alice.read((t) => /id=['"]pw1['"]/.test(t)), /type=['"]result['"]/);
      alice.end();
      const again = await connect({ port: server.ports.c2s, username: 'alice', password: SECRETS.changed, resource: 'again' });
      await again.stop();

      const found = leaks(await backupBytes(server), 'backup');
      await server.stop();
      for (const file of await filesUnder(path.join(server.dir, 'data'))) found.push(...leaks(await readFile(file), file));
      const log = server.output();
      assert.ok(log.length < 64 * 1024, 'the whole debug log was kept (nothing dropped unread)');
      assert.match(log, /"level":20/, 'the log is at debug level');
      found.push(...leaks(Buffer.from(log), 'log'));
      assert.deepEqual(found, []);
    } finally {
      await server.stop();
    }
  });

  test('the check can fail: with password_format plain the backup holds the password', async () => {
    const server = await startServer({ auth: { password_format: 'plain' } });
    try {
      assert.equal((await server.ctl(['register', 'alice', 'localhost', SECRETS.registered])).code, 0);
      assert.deepEqual(leaks(await backupBytes(server), 'backup'), [`backup: ${SECRETS.registered}`]);
    } finally {
      await server.stop();
    }
  });
});

describe('exposed endpoints', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ auth: { scram_iterations: 5000 } });
    assert.equal((await server.ctl(['register', 'alice', 'localhost', SECRETS.registered])).code, 0);
  });
  after(() => server?.stop());

  const handshake = (socket: tls.TLSSocket): Promise<string> =>
    new Promise((resolve) => {
      socket.once('secureConnect', () => resolve(`${socket.getProtocol()} ${socket.getCipher().name}`));
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(`refused ${e.code}`));
    });

  test('TLS 1.1 is refused on direct TLS and after STARTTLS; the default handshake is TLS 1.2+ with an AEAD cipher', async () => {
    const old = { rejectUnauthorized: false, minVersion: 'TLSv1' as const, maxVersion: 'TLSv1.1' as const, ciphers: 'DEFAULT:@SECLEVEL=0' };
    assert.match(await handshake(tls.connect({ port: server.ports.c2s_tls, host: '127.0.0.1', ...old })), /^refused/);
    const tcp = net.connect({ port: server.ports.c2s, host: '127.0.0.1' });
    let text = '';
    tcp.on('data', (d: Buffer) => (text += d.toString()));
    tcp.write(`${streamOpen()}<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
    while (!text.includes('<proceed')) await settle(10);
    tcp.removeAllListeners('data');
    assert.match(await handshake(tls.connect({ socket: tcp, ...old })), /^refused/);
    tcp.destroy();
    const modern = await handshake(tls.connect({ port: server.ports.c2s_tls, host: '127.0.0.1', rejectUnauthorized: false }));
    assert.match(modern, /^TLSv1\.[23] \S*(GCM|CHACHA20)/);
  });

  test('SCRAM uses the configured iteration count (auth.scram_iterations)', async () => {
    const c = await raw(server.ports.c2s_tls);
    c.write(streamOpen());
    await c.read((t) => t.includes('</stream:features>'));
    c.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>${Buffer.from('n,,n=alice,r=abcdefgh').toString('base64')}</auth>`);
    const challenge = /<challenge[^>]*>([^<]+)<\/challenge>/.exec(await c.read((t) => t.includes('</challenge>')))?.[1] ?? '';
    assert.match(Buffer.from(challenge, 'base64').toString(), /,i=5000$/);
    c.end();
  });

  const get = (address: string, target: string, headers: Record<string, string> = {}): Promise<number> =>
    new Promise((resolve, reject) => {
      const host = address.includes(':') ? `[${address}]` : address;
      http.get({ host: address, port: server.ports.http, path: target, localAddress: address, headers: { host: `${host}:${server.ports.http}`, ...headers } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });

  test('the observer refuses a non-loopback client without the token, and lets it in with the token', async (t) => {
    const address = Object.values(os.networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4')?.address;
    if (!address) return t.skip('this machine has no non-loopback IPv4 address');
    const token = (await readFile(path.join(server.dir, 'data', 'observer.token'), 'utf8')).trim();
    assert.equal(await get(address, '/observer'), 403);
    assert.equal(await get(address, '/observer/events'), 403);
    assert.equal(await get(address, '/observer', { authorization: `Bearer ${token}` }), 200);
    assert.equal(await get(address, '/metrics'), 200, 'metrics are public by design');
    assert.equal(await get('127.0.0.1', '/observer'), 200, 'loopback is trusted');
  });
});
