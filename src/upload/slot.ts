/**
 * XEP-0363 HTTP File Upload, the pure part: the slot request (§4) and its errors (§5), the slot
 * (PUT and GET URLs), and the signature that makes a PUT URL a capability: an HMAC-SHA256, with
 * the server's secret, of the path, size, content type and expiry, so the HTTP listener needs
 * no table of slots. The path is `<user dir>/<random>/<file name>`: the user dir (a keyed hash
 * of the account) groups a user's files for the quota without naming the account in URLs.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createElement, type Element } from 'ltx';
import { appError, stanzaError, type StanzaError } from '../stanza/error.js';
import { NS_XDATA } from '../disco/info.js';
import { formField } from '../xdata/fields.js';

export const NS_HTTP_UPLOAD = 'urn:xmpp:http:upload:0';

export interface SlotRequest {
  filename: string;
  size: number;
  contentType: string | undefined;
}

/** §4 Example 3: `<request filename size content-type?/>`. */
export function parseSlotRequest(request: Element): SlotRequest | StanzaError {
  if (request.name !== 'request') return stanzaError('bad-request', 'expected <request/>');
  const { filename, size, 'content-type': contentType } = request.attrs;
  if (!filename) return stanzaError('bad-request', 'filename is required');
  if (!size || !/^[1-9]\d{0,15}$/.test(size)) return stanzaError('bad-request', 'size must be a positive integer');
  if (contentType !== undefined && !/^[\w.+-]+\/[\w.+-]+$/.test(contentType)) return stanzaError('bad-request', 'content-type is not a media type');
  return { filename, size: Number(size), contentType };
}

/** §5 Example 5: not-acceptable with `<file-too-large><max-file-size/></file-too-large>`. */
export function fileTooLarge(max: number): StanzaError {
  const app = createElement('file-too-large', { xmlns: NS_HTTP_UPLOAD }, createElement('max-file-size', {}, String(max)));
  return appError('not-acceptable', app, `File too large. The maximum file size is ${max} bytes`);
}

/** A name safe as one path segment on any file system and in a URL: letters, digits, `._-`, no leading dot, ≤ 100 characters. */
export function safeFilename(name: string): string {
  const cleaned = name.normalize('NFC').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(-100);
  return cleaned === '' ? 'file' : cleaned;
}

/** The directory of a user's uploads: a keyed hash, so URLs do not name the account. */
export const userDir = (secret: string, bareJid: string): string => createHash('sha256').update(`${secret}\0${bareJid}`).digest('hex').slice(0, 32);

/** The path of a new slot under the upload root. */
export const slotPath = (secret: string, bareJid: string, filename: string): string =>
  `${userDir(secret, bareJid)}/${randomBytes(16).toString('hex')}/${safeFilename(filename)}`;

/** A slot path as the HTTP listener accepts it (anything else is 404). */
export const isSlotPath = (path: string): boolean => /^[0-9a-f]{32}\/[0-9a-f]{32}\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/.test(path);

export interface PutGrant {
  path: string;
  size: number;
  contentType: string | undefined;
  /** Unix seconds after which the PUT URL is refused. */
  expires: number;
}

const mac = (secret: string, g: PutGrant): string =>
  createHmac('sha256', secret).update(['PUT', g.path, g.size, g.contentType ?? '', g.expires].join('\n')).digest('base64url');

/** The query string of a PUT URL: the grant and its signature. */
export function signPut(secret: string, g: PutGrant): string {
  const q = new URLSearchParams({ size: String(g.size), expires: String(g.expires) });
  if (g.contentType !== undefined) q.set('type', g.contentType);
  q.set('sig', mac(secret, g));
  return q.toString();
}

/** Why a PUT URL is refused, as the HTTP status this server answers. */
export type PutRefusal = 403 | 410;

/** The grant of a PUT URL if its signature holds (403 otherwise) and it has not expired (410). */
export function verifyPut(secret: string, path: string, query: URLSearchParams, nowSeconds: number): PutGrant | PutRefusal {
  const size = Number(query.get('size'));
  const expires = Number(query.get('expires'));
  const grant: PutGrant = { path, size, contentType: query.get('type') ?? undefined, expires };
  const given = Buffer.from(query.get('sig') ?? '');
  const wanted = Buffer.from(mac(secret, grant));
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return 403;
  return nowSeconds > expires ? 410 : grant;
}

/** §4 Example 4: the slot. */
export const slotElement = (putUrl: string, getUrl: string): Element =>
  createElement('slot', { xmlns: NS_HTTP_UPLOAD }, createElement('put', { url: putUrl }), createElement('get', { url: getUrl }));

/** §3 Example 2: the XEP-0128 form announcing `max-file-size`. */
export const maxSizeForm = (max: number): Element =>
  createElement(
    'x', { xmlns: NS_XDATA, type: 'result' },
    formField('FORM_TYPE', 'hidden', [NS_HTTP_UPLOAD]),
    formField('max-file-size', null, [String(max)]),
  );

const TYPES: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', svg: 'image/svg+xml',
  mp4: 'video/mp4', webm: 'video/webm', ogg: 'audio/ogg', opus: 'audio/ogg', m4a: 'audio/mp4', mp3: 'audio/mpeg',
  pdf: 'application/pdf', txt: 'text/plain; charset=utf-8', zip: 'application/zip',
};

/** The Content-Type a stored file is served with, from its extension (as ejabberd does). */
export function mediaType(filename: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase() ?? '';
  return TYPES[ext] ?? 'application/octet-stream';
}
