/**
 * The file of `troupectl backup` / `restore`: JSON lines. The first is the header
 * `{"format":"troupe-backup","version":1,"created":ISO date,"keys":N}`; then one line per LevelDB
 * entry, `{"k":base64,"v":base64}`, the raw bytes of the root database's key (sublevel prefix
 * included) and value, in key order. The key count lets a restore tell a truncated file from a
 * whole one. Pure: the `control` actor does the I/O.
 */

export const BACKUP_FORMAT = 'troupe-backup';
export const BACKUP_VERSION = 1;

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: number;
  created: string;
  keys: number;
}

/** A file that is not a complete backup of a version this node reads. */
export class BackupFormatError extends Error {
  override name = 'BackupFormatError';
}

/** Wide enough for any count, so the header written last has the placeholder's length. */
const COUNT_WIDTH = 16;

/**
 * The header line. JSON allows blanks before a number, so the count is padded to a fixed width:
 * the writer puts a placeholder first and overwrites it in place once the count is known.
 */
export function headerLine(created: Date, keys: number): string {
  return `{"format":"${BACKUP_FORMAT}","version":${BACKUP_VERSION},"created":"${created.toISOString()}","keys":${String(keys).padStart(COUNT_WIDTH)}}\n`;
}

export const entryLine = (key: Uint8Array, value: Uint8Array): string =>
  `{"k":"${Buffer.from(key).toString('base64')}","v":"${Buffer.from(value).toString('base64')}"}\n`;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64(field: unknown, what: string, allowEmpty: boolean): Buffer {
  if (typeof field !== 'string' || !BASE64.test(field) || (!allowEmpty && field === '')) throw new Error(`${what} is not base64`);
  return Buffer.from(field, 'base64');
}

/**
 * Reads a backup line by line (no whole-file string: a backup may be large) and checks it all:
 * the header, every entry, no repeated key, and the count. Only {@link finish} says it is whole.
 */
export class BackupReader {
  private header: BackupHeader | null = null;
  private lineNo = 0;
  readonly entries: [Buffer, Buffer][] = [];
  private readonly seen = new Set<string>();

  /** Takes the next line (without its newline); throws {@link BackupFormatError}. */
  line(text: string): void {
    this.lineNo++;
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw this.error('not JSON');
    }
    if (this.header === null) this.header = this.parseHeader(value);
    else this.entries.push(this.parseEntry(value));
  }

  /** The validated content; throws when the file ended early or holds more than it says. */
  finish(): { header: BackupHeader; entries: [Buffer, Buffer][] } {
    if (this.header === null) throw new BackupFormatError('empty file: not a Troupe backup');
    if (this.entries.length !== this.header.keys) {
      throw new BackupFormatError(`the header announces ${this.header.keys} keys, the file holds ${this.entries.length} (truncated?)`);
    }
    return { header: this.header, entries: this.entries };
  }

  private parseHeader(value: unknown): BackupHeader {
    const h = value as Partial<BackupHeader> | null;
    if (typeof h !== 'object' || h === null || h.format !== BACKUP_FORMAT) throw this.error(`not a Troupe backup (no "format":"${BACKUP_FORMAT}" header)`);
    if (h.version !== BACKUP_VERSION) throw this.error(`backup format version ${JSON.stringify(h.version)}; this node reads version ${BACKUP_VERSION}`);
    if (typeof h.keys !== 'number' || !Number.isSafeInteger(h.keys) || h.keys < 0) throw this.error('the header has no key count');
    if (typeof h.created !== 'string') throw this.error('the header has no date');
    return { format: BACKUP_FORMAT, version: h.version, created: h.created, keys: h.keys };
  }

  private parseEntry(value: unknown): [Buffer, Buffer] {
    const e = value as { k?: unknown; v?: unknown } | null;
    if (typeof e !== 'object' || e === null) throw this.error('expected {"k": base64, "v": base64}');
    let entry: [Buffer, Buffer];
    try {
      entry = [base64(e.k, 'the key', false), base64(e.v, 'the value', true)];
    } catch (error) {
      throw this.error((error as Error).message);
    }
    if (this.seen.has(e.k as string)) throw this.error('a key repeats');
    this.seen.add(e.k as string);
    return entry;
  }

  private error(message: string): BackupFormatError {
    return new BackupFormatError(`line ${this.lineNo}: ${message}`);
  }
}
