/**
 * XEP-0363 uploads on the HTTP listener (ejabberd_http's request handler of mod_http_upload):
 * `PUT /upload/<slot>` stores the body if the URL's signature holds (403), it has not expired
 * (410), Content-Length is the slot's size (411 missing, 413 otherwise), the Content-Type the
 * one asked for (415) and the slot was never used (409); 201 when stored. `GET /upload/<slot>`
 * serves the file (404 if none). The signing secret and the root come from mod_http_upload,
 * which registers them while it runs: without it, /upload/ is 404.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Process } from '../supervision/process.js';
import { sendText, type HttpRoute } from '../src/http/routes.js';
import { isSlotPath, mediaType, verifyPut } from '../src/upload/slot.js';
import type { Node } from './node.js';

export const UPLOAD_PATH = '/upload/';

export interface UploadService {
  /** Where the files are: `<docroot>/<slot path>`. */
  docroot: string;
  secret: string;
}

const services = new WeakMap<Node, UploadService>();

/** mod_http_upload's registration: the node's uploads are served while `owner` lives. */
export function serveUploads(node: Node, service: UploadService, owner: Process): void {
  services.set(node, service);
  void owner.exited.then(() => {
    if (services.get(node) === service) services.delete(node);
  });
}

/** The service and the slot path of a request, or null (404). */
function target(node: Node, url: URL): { service: UploadService; slot: string; file: string } | null {
  const service = services.get(node);
  const slot = url.pathname.slice(UPLOAD_PATH.length);
  if (!service || !isSlotPath(slot)) return null;
  return { service, slot, file: path.join(service.docroot, slot) };
}

// Refusals close the connection: the client may still be sending a body we will not read.
const refuse = (res: ServerResponse, status: number, text: string): void => sendText(res, status, `${text}\n`, { Connection: 'close' });

const exists = (file: string): Promise<boolean> => stat(file).then(() => true, () => false);

const mediaTypeOf = (header: string | undefined): string | undefined => header?.split(';')[0]?.trim().toLowerCase();

async function put(node: Node, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const t = target(node, url);
  if (!t) return refuse(res, 404, 'not found');
  const grant = verifyPut(t.service.secret, t.slot, url.searchParams, Date.now() / 1000);
  if (grant === 403) return refuse(res, 403, 'bad or missing signature');
  if (grant === 410) return refuse(res, 410, 'upload slot expired');
  const length = req.headers['content-length'];
  if (length === undefined) return refuse(res, 411, 'Content-Length required');
  if (Number(length) !== grant.size) return refuse(res, 413, `Content-Length must be the slot's size, ${grant.size}`);
  if (grant.contentType !== undefined && mediaTypeOf(req.headers['content-type']) !== grant.contentType.toLowerCase()) {
    return refuse(res, 415, `Content-Type must be ${grant.contentType}`);
  }
  await mkdir(path.dirname(t.file), { recursive: true, mode: 0o700 });
  // The body goes to a hidden part file (no slot path names it), created exclusively: a second
  // PUT on the slot, during or after the first, is a conflict.
  const part = path.join(path.dirname(t.file), `.${path.basename(t.file)}.part`);
  if (await exists(t.file)) return refuse(res, 409, 'upload slot already used');
  const handle = await open(part, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') return null;
    throw error;
  });
  if (!handle) return refuse(res, 409, 'upload slot already used');
  try {
    await pipeline(req, handle.createWriteStream());
  } catch (error) {
    await rm(part, { force: true });
    throw error;
  }
  await rename(part, t.file);
  sendText(res, 201, 'created\n');
}

async function get(node: Node, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const t = target(node, url);
  const info = t && (await stat(t.file).catch(() => null));
  if (!t || !info?.isFile()) return sendText(res, 404, 'not found\n');
  res.writeHead(200, {
    'Content-Type': mediaType(t.file),
    'Content-Length': String(info.size),
    // Uploaded content is the uploader's: never run as a page of this origin.
    'Content-Security-Policy': "default-src 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Access-Control-Allow-Origin': '*',
    'Cache-Control': 'public, max-age=31536000, immutable',
  });
  if (req.method === 'HEAD') return void res.end();
  await pipeline(createReadStream(t.file), res);
}

/** The listener's routes under `/upload/`. */
export function uploadRoutes(node: Node): HttpRoute[] {
  return [
    { method: 'PUT', path: UPLOAD_PATH, prefix: true, access: 'public', handle: (req, res, url) => put(node, req, res, url) },
    { method: 'GET', path: UPLOAD_PATH, prefix: true, access: 'public', handle: (req, res, url) => get(node, req, res, url) },
  ];
}
