/**
 * The SASL negotiation of one c2s (RFC 6120 §6): `<auth/>`, `<response/>`, `<abort/>` in,
 * `<challenge/>`, `<success/>`, `<failure/>` out. Credentials come from the node's accounts.
 */
import { createElement, type Element } from 'ltx';
import { NS_SASL } from '../src/xml/ns.js';
import { ScramServer, type SaslFailure } from '../src/sasl/scram.js';
import { parsePlain } from '../src/sasl/plain.js';
import { scramParams } from '../src/sasl/mechanisms.js';
import { decodeSaslPayload, encodeSaslPayload } from '../src/sasl/payload.js';
import type { Accounts } from '../src/auth/accounts.js';

export interface SaslContext {
  accounts: Accounts;
  host: string;
  offered: readonly string[];
  channelBinding: { type: string; data: Buffer } | undefined;
}

/** One step's outcome: what to send, and whether the exchange ended. */
export type SaslStep =
  | { kind: 'challenge'; reply: Element; exchange: ScramServer }
  | { kind: 'success'; reply: Element; user: string }
  | { kind: 'failure'; reply: Element; condition: SaslFailure['failure'] };

const isFailure = (x: object): x is SaslFailure => 'failure' in x;

export function failure(condition: SaslFailure['failure'], text?: string): SaslStep {
  const reply = createElement('failure', { xmlns: NS_SASL }, createElement(condition));
  if (text) reply.c('text').t(text);
  return { kind: 'failure', reply, condition };
}

function success(user: string, additional?: Buffer): SaslStep {
  return { kind: 'success', reply: createElement('success', { xmlns: NS_SASL }, additional ? encodeSaslPayload(additional) : null), user };
}

/** `<auth mechanism='…'>` */
export async function saslAuth(ctx: SaslContext, auth: Element): Promise<SaslStep> {
  const mechanism = auth.attrs.mechanism ?? '';
  if (!ctx.offered.includes(mechanism)) return failure('invalid-mechanism');
  const payload = decodeSaslPayload(auth.getText());
  if (isFailure(payload)) return failure(payload.failure);
  if (mechanism === 'PLAIN') return plain(ctx, payload);
  const params = scramParams(mechanism);
  if (!params) return failure('invalid-mechanism');
  const exchange = new ScramServer({
    hash: params.hash,
    plus: params.plus,
    channelBinding: ctx.channelBinding,
    serverSupportsPlus: ctx.offered.some((m) => m.endsWith('-PLUS')),
  });
  const first = exchange.clientFirst(payload);
  if (isFailure(first)) return failure(first.failure, first.text);
  if (first.authzid && first.authzid !== `${first.username}@${ctx.host}`) return failure('invalid-authzid');
  const creds = await ctx.accounts.scramCredentials(first.username, ctx.host, params.hash);
  const challenge = exchange.serverFirst(creds);
  return { kind: 'challenge', reply: createElement('challenge', { xmlns: NS_SASL }, encodeSaslPayload(challenge)), exchange };
}

/** `<response>` to a SCRAM challenge. */
export function saslResponse(exchange: ScramServer, response: Element): SaslStep {
  const payload = decodeSaslPayload(response.getText());
  if (isFailure(payload)) return failure(payload.failure);
  const final = exchange.clientFinal(payload);
  if (isFailure(final)) return failure(final.failure, final.text);
  return success(final.username, final.serverFinal);
}

async function plain(ctx: SaslContext, payload: Buffer): Promise<SaslStep> {
  const creds = parsePlain(payload);
  if (isFailure(creds)) return failure(creds.failure, creds.text);
  if (creds.authzid && creds.authzid !== `${creds.authcid}@${ctx.host}`) return failure('invalid-authzid');
  const ok = await ctx.accounts.checkPassword(creds.authcid, ctx.host, creds.password);
  return ok ? success(creds.authcid) : failure('not-authorized');
}
