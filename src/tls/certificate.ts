// TLS material for STARTTLS (RFC 6120 §5) and direct TLS (XEP-0368): the configured PEM files, or
// a self-signed certificate generated once into <data_dir>/tls and reused (ARCHITECTURE.md §8).
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import { generate } from 'selfsigned';

/** PEM certificate (chain) and private key; `generated` when made on this start. */
export interface TlsMaterial {
  cert: string;
  key: string;
  generated: boolean;
}

/**
 * With `cert` and `key` paths: reads and checks them (errors name the file). Otherwise reuses
 * `<dataDir>/tls/{cert,key}.pem`, generating a self-signed certificate for `hosts` (and their
 * subdomains) when absent, expired, or not covering every host.
 */
export async function loadOrCreateCertificate(
  config: { cert: string | null; key: string | null },
  dataDir: string,
  hosts: string[],
): Promise<TlsMaterial> {
  if (config.cert !== null || config.key !== null) {
    if (config.cert === null || config.key === null) throw new Error('tls: cert and key must be given together');
    return { ...(await readPair(config.cert, config.key)), generated: false };
  }
  const dir = path.join(dataDir, 'tls');
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  if ((await exists(certFile)) && (await exists(keyFile))) {
    const pair = await readPair(certFile, keyFile);
    if (covers(new X509Certificate(pair.cert), hosts)) return { ...pair, generated: false };
  }
  const { cert, private: key } = await selfSigned(hosts);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // chmod after writing: `mode` is only applied to new files, and the umask may narrow it.
  await writeFile(keyFile, key, { mode: 0o600 });
  await chmod(keyFile, 0o600);
  await writeFile(certFile, cert, { mode: 0o644 });
  await chmod(certFile, 0o644);
  return { cert, key, generated: true };
}

/** Server options: TLS 1.2 or later, our cipher order (Node's default list, which is sane). */
export function tlsServerOptions(material: { cert: string; key: string }): tls.SecureContextOptions {
  return {
    cert: material.cert,
    key: material.key,
    minVersion: 'TLSv1.2',
    ciphers: tls.DEFAULT_CIPHERS,
    honorCipherOrder: true,
  };
}

async function readPair(certFile: string, keyFile: string): Promise<{ cert: string; key: string }> {
  const cert = await readPem(certFile, 'certificate');
  const key = await readPem(keyFile, 'private key');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`tls: ${certFile}: not a PEM certificate (${(err as Error).message})`, { cause: err });
  }
  let matches: boolean;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    throw new Error(`tls: ${keyFile}: not a PEM private key (${(err as Error).message})`, { cause: err });
  }
  if (!matches) throw new Error(`tls: ${keyFile} is not the private key of ${certFile}`);
  return { cert, key };
}

async function readPem(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(`tls: cannot read the ${what} ${file}: ${reason}`, { cause: err });
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

function covers(x509: X509Certificate, hosts: string[]): boolean {
  return Date.parse(x509.validTo) > Date.now() && hosts.every((h) => x509.checkHost(h) !== undefined);
}

function selfSigned(hosts: string[]) {
  const altNames = hosts.flatMap((h) => [h, `*.${h}`]).map((value) => ({ type: 2 as const, value })); // 2: DNS
  const notAfterDate = new Date();
  notAfterDate.setFullYear(notAfterDate.getFullYear() + 10);
  return generate([{ name: 'commonName', value: hosts[0] }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
}
