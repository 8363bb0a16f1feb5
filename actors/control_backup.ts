/**
 * `troupectl backup FILE` and `restore FILE` (ejabberdctl `backup`/`restore`): every LevelDB
 * key of the node, each sublevel's included (their prefix is part of the raw key), in the format
 * of src/control/backup_format.ts.
 *
 * Backup reads one iterator over the root database: classic-level iterators read from an
 * implicit snapshot, so the file is the database at one instant while the node keeps running.
 * It is written to FILE.tmp (mode 0600: it holds the stored credentials), synced, then renamed.
 *
 * Restore reads and checks the whole file first (a bad file changes nothing), then stops the
 * modules (they hold caches of stored data and write it from hooks), replaces the database in one
 * atomic batch (a `del` of every current key, then a `put` of every saved one), drops the
 * account cache and starts the modules again in their places.
 */
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Node } from './node.js';
import { BackupReader, entryLine, headerLine, type BackupHeader } from '../src/control/backup_format.js';
import type { BackupResult } from '../src/control/protocol.js';
import { restartModule, runningModules, tablesSettled, terminateModule } from './control_modules.js';

/** Entries read from the iterator per step, and so per write to the file. */
const CHUNK = 1000;

/** `ENOENT: no such file or directory, open '/x'` → `no such file or directory` (the caller names the file). */
const fsMessage = (error: unknown): string => (error as Error).message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');

/** These verbs dump and load LevelDB; a PostgreSQL database is backed up with its own tools. */
function requireLevelDb(node: Node): void {
  if (node.config.storage !== 'leveldb') throw new Error('backup and restore cover storage: leveldb; with storage: postgres use pg_dump and pg_restore');
}

export async function backup(node: Node, [fileArg]: string[]): Promise<BackupResult> {
  requireLevelDb(node);
  const file = path.resolve(fileArg!);
  const tmp = `${file}.tmp`;
  const db = node.storage.db;
  const created = new Date();
  const handle = await open(tmp, 'w', 0o600).catch((error: unknown) => {
    throw new Error(`cannot write ${tmp}: ${fsMessage(error)}`);
  });
  let keys = 0;
  try {
    await handle.write(headerLine(created, 0));
    const it = db.iterator<Buffer, Buffer>({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
    try {
      for (let entries = await it.nextv(CHUNK); entries.length > 0; entries = await it.nextv(CHUNK)) {
        await handle.write(entries.map(([key, value]) => entryLine(key, value)).join(''));
        keys += entries.length;
      }
    } finally {
      await it.close();
    }
    await handle.write(headerLine(created, keys), 0); // same length as the placeholder
    await handle.sync();
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw new Error(`backup failed: ${fsMessage(error)}`);
  }
  await rename(tmp, file);
  return { file, created: created.toISOString(), keys };
}

/** The whole file, checked; throws with the first problem (and the line) before anything is changed. */
async function readBackup(file: string): Promise<{ header: BackupHeader; entries: [Buffer, Buffer][] }> {
  const reader = new BackupReader();
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${fsMessage(error)}`);
  }
  try {
    for await (const line of handle.readLines({ encoding: 'utf8' })) reader.line(line);
  } catch (error) {
    throw new Error(`${file}: ${fsMessage(error)}; nothing restored`);
  } finally {
    await handle.close().catch(() => undefined);
  }
  try {
    return reader.finish();
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}; nothing restored`);
  }
}

export async function restore(node: Node, [fileArg]: string[]): Promise<BackupResult> {
  requireLevelDb(node);
  const file = path.resolve(fileArg!);
  const { header, entries } = await readBackup(file);
  const modules = await runningModules();
  for (const id of [...modules].reverse()) await terminateModule(id);
  await tablesSettled();
  try {
    const accounts = await knownUsers(node);
    await replaceAll(node, entries);
    for (const [user, host] of [...accounts, ...(await knownUsers(node))]) node.accounts.invalidate(user, host);
  } finally {
    const failed: string[] = [];
    for (const id of modules) await restartModule(id).catch((error: unknown) => failed.push(`${id}: ${(error as Error).message}`));
    if (failed.length) throw new Error(`restored, but module(s) failed to start again: ${failed.join('; ')}`);
  }
  return { file, created: header.created, keys: entries.length };
}

/** One batch: LevelDB applies it whole or not at all, and in order (a del then a put of one key leaves the put). */
async function replaceAll(node: Node, entries: [Buffer, Buffer][]): Promise<void> {
  const db = node.storage.db;
  const current = await db.keys<Buffer>({ keyEncoding: 'buffer' }).all();
  await db.batch<Buffer, Buffer>(
    [
      ...current.map((key) => ({ type: 'del' as const, key })),
      ...entries.map(([key, value]) => ({ type: 'put' as const, key, value })),
    ],
    { keyEncoding: 'buffer', valueEncoding: 'buffer', sync: true },
  );
}

/** Every account of the served hosts, for the login cache to forget (before and after: both may be cached). */
async function knownUsers(node: Node): Promise<[string, string][]> {
  const lists = await Promise.all(node.hosts.map(async (host) => (await node.accounts.users(host)).map((user): [string, string] => [user, host])));
  return lists.flat();
}
