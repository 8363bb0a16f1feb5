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
export async function loadOrCreateToken(dataDir: string): Promise<string> {
  const file = tokenPath(dataDir);
  const existing = await readFile(file, 'utf8').then((t) => t.trim(), (error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  if (existing !== '') return existing;
  const token = randomBytes(32).toString('base64url');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // An empty file left by a crash is replaced; mode applies to a new file only, so it is created 0600.
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}
