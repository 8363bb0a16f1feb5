/**
 * mod_http_upload: XEP-0363 HTTP File Upload, as ejabberd's module of that name. A service
 * `upload.<host>` (a route of its own, like a component) hands local users upload slots: a
 * signed PUT URL valid for `slot_timeout` seconds and the GET URL, for files up to `max_size`
 * (10 MiB by default; larger: not-acceptable with `<file-too-large/>`, §5) and within the
 * user's `quota` (resource-constraint past it). The server's disco#items lists the service, its
 * disco#info carries `max-file-size` (§3). The HTTP listener serves PUT and GET under /upload/
 * (actors/http_upload.ts); files are under `<data_dir>/upload/`, the HMAC secret in
 * `<data_dir>/upload.secret`.
 */
import path from 'node:path';
import { readdir, stat } from 'node:fs/promises';
import { z } from 'zod';
import { parseJid, type Jid } from '../../src/jid.js';
import { isStanzaError, stanzaError } from '../../src/stanza/error.js';
import { infoQuery, itemsQuery } from '../../src/disco/info.js';
import { NS_DISCO_INFO, NS_DISCO_ITEMS } from '../../src/xml/ns.js';
import { loadOrCreateSecret } from '../../src/http/token.js';
import { childLog } from '../../src/log.js';
import { fileTooLarge, maxSizeForm, NS_HTTP_UPLOAD, parseSlotRequest, signPut, slotElement, slotPath, userDir } from '../../src/upload/slot.js';
import type { ModuleContext, ModuleSpec } from '../gen_mod.js';
import { IqTable, processIq, type Iq, type IqAnswer } from '../iq_handler.js';
import { serveUploads, UPLOAD_PATH } from '../http_upload.js';
import type { ItemsAcc } from './mod_disco.js';

export interface HttpUploadOptions {
  /** The service's JID; `@HOST@` is the served host (ejabberd's `host`). */
  host: string;
  /** Largest file, bytes (ejabberd's `max_size`). */
  max_size: number;
  /** Bytes of stored files per user; 0: no quota. */
  quota: number;
  /** Seconds a PUT URL stays valid (XEP-0363 §7 recommends about 60). */
  slot_timeout: number;
  /** Base URLs (`@HOST@` substituted), for a proxy in front; default `http://<host>:<listen.http port>/upload`. */
  put_url: string | null;
  get_url: string | null;
}

const options = z.strictObject({
  host: z.string().min(1).default('upload.@HOST@'),
  max_size: z.number().int().positive().default(10 * 1024 * 1024),
  quota: z.number().int().nonnegative().default(100 * 1024 * 1024),
  slot_timeout: z.number().int().positive().default(300),
  put_url: z.string().url().nullable().default(null),
  get_url: z.string().url().nullable().default(null),
});

const log = childLog({ actor: 'mod_http_upload' });

interface Upload {
  ctx: ModuleContext;
  opts: HttpUploadOptions;
  service: string;
  secret: string;
  docroot: string;
  putBase: string;
  getBase: string;
}

/** Bytes the user's files take (unfinished uploads included). */
async function usedBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  let total = 0;
  for (const e of entries) if (e.isFile()) total += (await stat(path.join(e.parentPath, e.name)).catch(() => ({ size: 0 }))).size;
  return total;
}

/** §4: a slot for a local user, within the size limit and the quota. */
async function requestSlot(u: Upload, iq: Iq): Promise<IqAnswer> {
  if (iq.type !== 'get') return stanzaError('bad-request', "a slot request is a 'get'");
  if (!u.ctx.node.hosts.includes(iq.from.domain)) return stanzaError('not-allowed', 'only local users may upload');
  const request = parseSlotRequest(iq.payload);
  if (isStanzaError(request)) return request;
  if (request.size > u.opts.max_size) return fileTooLarge(u.opts.max_size);
  const bare = iq.from.bareString();
  if (u.opts.quota > 0 && (await usedBytes(path.join(u.docroot, userDir(u.secret, bare)))) + request.size > u.opts.quota) {
    return stanzaError('resource-constraint', `Quota reached: ${u.opts.quota} bytes per user`);
  }
  const slot = slotPath(u.secret, bare, request.filename);
  const expires = Math.floor(Date.now() / 1000) + u.opts.slot_timeout;
  const query = signPut(u.secret, { path: slot, size: request.size, contentType: request.contentType, expires });
  return slotElement(`${u.putBase}/${slot}?${query}`, `${u.getBase}/${slot}`);
}

/** §3: the service's identity, feature and `max-file-size`. */
function serviceInfo(u: Upload, iq: Iq): IqAnswer {
  if (iq.type !== 'get') return stanzaError('not-allowed', "disco is 'get' only");
  if (iq.payload.attrs.node) return stanzaError('item-not-found', 'no such node');
  const identities = [{ category: 'store', type: 'file', name: 'HTTP File Upload' }];
  return infoQuery('', { identities, features: [NS_DISCO_INFO, NS_DISCO_ITEMS, NS_HTTP_UPLOAD], forms: [maxSizeForm(u.opts.max_size)] });
}

const withHost = (template: string, host: string): string => template.replaceAll('@HOST@', host);

/** `http://<host>:<listen.http port>/upload`, or null when the node has no HTTP listener. */
function defaultBase(ctx: ModuleContext): string | null {
  const http = ctx.node.config.listen.http;
  return http === null ? null : `http://${ctx.host}:${http.port}${UPLOAD_PATH.slice(0, -1)}`;
}

export const modHttpUpload: ModuleSpec<HttpUploadOptions> = {
  name: 'mod_http_upload',
  xeps: [363],
  options,
  defaultEnabled: true,
  async start(ctx, opts) {
    const dataDir = ctx.node.config.data_dir;
    const fallback = opts.put_url && opts.get_url ? '' : defaultBase(ctx);
    if (fallback === null) {
      // Nothing to upload to: no service either, so disco does not offer one.
      log.warn({ host: ctx.host }, 'listen.http is off and put_url/get_url are not set: no upload service');
      return [];
    }
    const u: Upload = {
      ctx,
      opts,
      service: withHost(opts.host, ctx.host),
      secret: await loadOrCreateSecret(path.join(dataDir, 'upload.secret')),
      docroot: path.join(dataDir, 'upload'),
      putBase: opts.put_url ? withHost(opts.put_url, ctx.host) : fallback,
      getBase: opts.get_url ? withHost(opts.get_url, ctx.host) : fallback,
    };
    serveUploads(ctx.node, { docroot: u.docroot, secret: u.secret }, ctx.self);
    const iqs = new IqTable();
    iqs.register(u.service, NS_HTTP_UPLOAD, (iq) => requestSlot(u, iq), ctx.self, 'no_queue');
    iqs.register(u.service, NS_DISCO_INFO, (iq) => serviceInfo(u, iq), ctx.self, 'no_queue');
    iqs.register(u.service, NS_DISCO_ITEMS, () => itemsQuery('', []), ctx.self, 'no_queue');
    const serviceJid = parseJid(u.service);
    return [
      // Only IQs mean something to the service (ejabberd's mod_http_upload ignores the rest).
      { route: u.service, handler: (from: Jid, to: Jid, stanza) => (stanza.name === 'iq' ? processIq(ctx.node, iqs, from, to, stanza) : undefined) },
      {
        hook: 'disco_local_items',
        callback: (acc: ItemsAcc, _from: Jid, _to: Jid, node: string) =>
          node === '' ? [...(acc ?? []), { jid: serviceJid.toString(), name: 'HTTP File Upload' }] : acc,
        priority: 110,
      },
    ];
  },
};
