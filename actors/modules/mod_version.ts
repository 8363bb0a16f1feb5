/**
 * mod_version: XEP-0092 software version of the server (§2: name, version, optional os). The
 * version is package.json's; the operating system only with `show_os: true` (off by default, as
 * in ejabberd: it tells an attacker what to aim at). `set` is not-allowed, as ejabberd answers.
 */
import { type as osType, release } from 'node:os';
import { z } from 'zod';
import { createElement } from 'ltx';
import { stanzaError } from '../../src/stanza/error.js';
import { packageInfo } from '../../src/version/package.js';
import { NS_VERSION } from '../../src/xml/ns.js';
import type { ModuleSpec } from '../gen_mod.js';
import type { Iq, IqAnswer } from '../iq_handler.js';

interface VersionOptions {
  show_os: boolean;
}

/** §2 Example 2: `<query><name/><version/><os/>?</query>`. */
function processIq(opts: VersionOptions, iq: Iq): IqAnswer {
  if (iq.type !== 'get') return stanzaError('not-allowed', "software version is 'get' only");
  if (iq.payload.name !== 'query') return stanzaError('bad-request', 'expected <query/>');
  const query = createElement('query', { xmlns: NS_VERSION }, createElement('name', null, 'Troupe'), createElement('version', null, packageInfo().version));
  if (opts.show_os) query.cnode(createElement('os', null, `${osType()} ${release()}`));
  return query;
}

export const modVersion: ModuleSpec<VersionOptions> = {
  name: 'mod_version',
  xeps: [92],
  options: z.strictObject({ show_os: z.boolean().default(false) }),
  defaultEnabled: true,
  forkable: true, // the answer is a pure function of the IQ and the options
  start(_ctx, opts) {
    return [{ iq: 'local', ns: NS_VERSION, handler: (iq: Iq) => processIq(opts, iq), disc: 'no_queue' }];
  },
};
