/**
 * mod_register: XEP-0077 in-band registration. Before authentication (when
 * `registration: open`) through the `c2s_unauthenticated_iq` hook; afterwards a user may change
 * its password or remove its account.
 */
import { z } from 'zod';
import { createElement, type Element } from 'ltx';
import { nodeprep } from '../../src/jid.js';
import { preparePassword } from '../../src/sasl/saslprep.js';
import { errorReply, iqResult, stanzaError, type StanzaError } from '../../src/stanza/error.js';
import { NS_FEATURE_IQREGISTER, NS_REGISTER } from '../../src/xml/ns.js';
import type { ModuleContext, ModuleSpec } from '../gen_mod.js';
import { ANSWERED, type Iq, type IqAnswer } from '../iq_handler.js';
import { route } from '../router.js';
import { removeUser } from '../remove_user.js';

const INSTRUCTIONS = 'Choose a username and password for use with this service.';

function form(registered?: string): Element {
  const query = createElement('query', { xmlns: NS_REGISTER }, createElement('instructions', null, INSTRUCTIONS));
  if (registered) query.append(createElement('registered'), createElement('username', null, registered), createElement('password'));
  else query.append(createElement('username'), createElement('password'));
  return query;
}

/** The username and password of a registration form, prepared, or the error to answer. */
function credentials(query: Element): { user: string; password: string } | StanzaError {
  const username = query.getChildText('username');
  const password = query.getChildText('password');
  if (!username || !password) return stanzaError('not-acceptable', 'username and password are required');
  const user = nodeprep(username);
  if (!user) return stanzaError('jid-malformed', 'invalid username');
  const prepared = preparePassword(password);
  if (!prepared) return stanzaError('not-acceptable', 'invalid password');
  return { user, password };
}

/** Registration of a new account by a client that has not logged in. */
async function registerNew(ctx: ModuleContext, iq: Element): Promise<Element | null> {
  const query = iq.getChild('query', NS_REGISTER);
  if (!query || ctx.node.config.registration !== 'open') return null;
  const answer = (result: Element | null | StanzaError): Element | null =>
    result && 'condition' in result ? errorReply(iq, result) : iqResult(iq, result ?? undefined);
  if (iq.attrs.type === 'get') return answer(form());
  if (iq.attrs.type !== 'set') return answer(stanzaError('bad-request'));
  const creds = credentials(query);
  if ('condition' in creds) return answer(creds);
  const { accounts } = ctx.node;
  if (await accounts.exists(creds.user, ctx.host)) return answer(stanzaError('conflict', 'username already taken'));
  await accounts.setPassword(creds.user, ctx.host, creds.password);
  return answer(null);
}

/** A logged-in user: form, password change, account removal (XEP-0077 §3.2, §3.3). */
async function processIq(ctx: ModuleContext, iq: Iq): Promise<IqAnswer> {
  const user = iq.from.local;
  if (iq.from.domain !== ctx.host) return stanzaError('not-allowed');
  if (iq.type === 'get') return form(user);
  const { accounts } = ctx.node;
  if (iq.payload.getChild('remove')) {
    await removeUser(ctx.node, user, ctx.host);
    // The result first, then the sessions close (XEP-0077 §3.2).
    await route(ctx.node, iq.to, iq.from, iqResult(iq.stanza));
    for (const session of ctx.node.sessions.resources(iq.from.bare())) session.pid.cast({ type: 'kick' });
    return ANSWERED;
  }
  const creds = credentials(iq.payload);
  if ('condition' in creds) return creds;
  if (creds.user !== user) return stanzaError('not-allowed', 'a user may only change its own password');
  await accounts.setPassword(user, ctx.host, creds.password);
  return null;
}

export const modRegister: ModuleSpec<Record<string, never>> = {
  name: 'mod_register',
  xeps: [77],
  options: z.strictObject({}),
  defaultEnabled: true,
  start(ctx) {
    const handler = (iq: Iq): Promise<IqAnswer> => processIq(ctx, iq);
    return [
      { iq: 'local', ns: NS_REGISTER, handler },
      { iq: 'sm', ns: NS_REGISTER, handler },
      { hook: 'c2s_unauthenticated_iq', callback: (acc: Element | null, iq: Element) => acc ?? registerNew(ctx, iq) },
      {
        hook: 'c2s_stream_features',
        callback: (acc: Element[], info: { authenticated: boolean }) =>
          info.authenticated || ctx.node.config.registration !== 'open' ? acc : [...acc, createElement('register', { xmlns: NS_FEATURE_IQREGISTER })],
      },
    ];
  },
};
