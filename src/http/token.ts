/**
 * The observer token: `<data_dir>/observer.token`, random, mode 0600, made on the first start.
 * Whoever can read the data dir may observe (and crash) the node from anywhere, as whoever can
 * open the control socket may run troupectl.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

export const tokenPath = (dataDir: string): string => path.join(dataDir, 'observer.token');

/** Reads the token, or creates it (exclusively, 0600) when the file is missing or empty. */
export const loadOrCreateToken = (dataDir: string): Promise<string> => loadOrCreateSecret(tokenPath(dataDir));

/** A random secret kept in `file` (created 0600 when missing or empty, in a 0700 directory); also mod_http_upload's HMAC key. */
export async function loadOrCreateSecret(file: string): Promise<string> {
  const existing = await readFile(file, 'utf8').then((t) => t.trim(), (error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  if (existing !== '') return existing;
  const token = randomBytes(32).toString('base64url');
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // An empty file left by a crash is replaced; mode applies to a new file only, so it is created 0600.
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}
