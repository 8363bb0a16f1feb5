import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import tls from 'node:tls';
import { loadOrCreateCertificate, tlsServerOptions, type TlsMaterial } from '../../src/tls/certificate.js';

const none = { cert: null, key: null };
const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'troupe-tls-')), 'data');
const hosts = ['localhost', 'example.com'];
let first: TlsMaterial;

test('generates a self-signed certificate into <data_dir>/tls with private modes', async () => {
  first = await loadOrCreateCertificate(none, dataDir, hosts);
  assert.equal(first.generated, true);
  const mode = (p: string) => statSync(p).mode & 0o777;
  assert.equal(mode(path.join(dataDir, 'tls')), 0o700);
  assert.equal(mode(path.join(dataDir, 'tls', 'key.pem')), 0o600);
  assert.equal(mode(path.join(dataDir, 'tls', 'cert.pem')), 0o644);
});

test('the certificate names every host and its subdomains, for ten years', () => {
  const x509 = new X509Certificate(first.cert);
  assert.equal(x509.subject, 'CN=localhost');
  const sans = x509.subjectAltName!.split(', ');
  for (const h of hosts) assert.ok(sans.includes(`DNS:${h}`) && sans.includes(`DNS:*.${h}`), x509.subjectAltName);
  const years = (Date.parse(x509.validTo) - Date.now()) / (365.25 * 24 * 3600e3);
  assert.ok(years > 9.9 && years < 10.1, `${years} years`);
});

test('the next start reuses it; a new host makes a new one', async () => {
  const again = await loadOrCreateCertificate(none, dataDir, hosts);
  assert.equal(again.generated, false);
  assert.equal(new X509Certificate(again.cert).fingerprint256, new X509Certificate(first.cert).fingerprint256);
  const more = await loadOrCreateCertificate(none, dataDir, [...hosts, 'other.org']);
  assert.equal(more.generated, true);
  assert.match(new X509Certificate(more.cert).subjectAltName!, /DNS:other\.org/);
});

test('configured files are read; a missing or mismatched one is named', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'troupe-tls-conf-'));
  const other = await loadOrCreateCertificate(none, path.join(dir, 'data'), ['other.org']);
  const [cert, key, otherKey] = ['cert.pem', 'key.pem', 'other-key.pem'].map((f) => path.join(dir, f)) as [
    string,
    string,
    string,
  ];
  writeFileSync(cert, first.cert);
  writeFileSync(key, first.key);
  writeFileSync(otherKey, other.key);
  const read = await loadOrCreateCertificate({ cert, key }, dir, hosts);
  assert.deepEqual(read, { cert: first.cert, key: first.key, generated: false });
  await assert.rejects(loadOrCreateCertificate({ cert: path.join(dir, 'nope.pem'), key }, dir, hosts), /nope\.pem: ENOENT/);
  await assert.rejects(loadOrCreateCertificate({ cert, key: otherKey }, dir, hosts), /other-key\.pem is not the private key/);
  await assert.rejects(loadOrCreateCertificate({ cert: key, key }, dir, hosts), /key\.pem: not a PEM certificate/);
});

test('a TLS 1.2+ client completes the handshake; a TLS 1.1-only client is refused', async () => {
  const server = tls.createServer(tlsServerOptions(first), (socket) => socket.end('hi'));
  const refused: string[] = [];
  server.on('tlsClientError', (err: NodeJS.ErrnoException) => refused.push(String(err.code)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    const ok = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false });
    await once(ok, 'secureConnect');
    assert.match(ok.getProtocol()!, /^TLSv1\.[23]$/);
    assert.equal(ok.getPeerX509Certificate()!.fingerprint256, new X509Certificate(first.cert).fingerprint256);
    ok.destroy();

    // SECLEVEL=0 lets this client offer TLS 1.1 at all, so the refusal is the server's.
    const old = tls.connect({
      port,
      host: '127.0.0.1',
      rejectUnauthorized: false,
      minVersion: 'TLSv1.1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    const [err] = (await once(old, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'); // the server's alert
    assert.ok(refused.includes('ERR_SSL_UNSUPPORTED_PROTOCOL'), String(refused));
  } finally {
    server.close();
  }
});
