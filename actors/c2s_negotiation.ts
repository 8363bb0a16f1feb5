/**
 * Stream negotiation of a c2s (RFC 6120 §4–§7): the stream header, features, STARTTLS, SASL,
 * pre-authentication IQs (in-band registration) and resource binding.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { createElement, type Element } from 'ltx';
import { NS_BIND, NS_CLIENT, NS_SASL, NS_SESSION, NS_TLS } from '../src/xml/ns.js';
import { errorReply, iqResult, stanzaError } from '../src/stanza/error.js';
import { offeredMechanisms } from '../src/sasl/mechanisms.js';
import { jid, resourceprep, type Jid } from '../src/jid.js';
import { openSession } from './sm.js';
import { STOP } from './hooks.js';
import { NS_SM } from './c2s_sm.js';
import { bindFeatures, channelBindingFeature, featuresElement, mechanismsFeature, tlsFeature } from './c2s_features.js';
import { failure, saslAuth, saslResponse, type SaslStep } from './c2s_sasl.js';
import { authFailureDelay, recordAuthFailure } from './c2s_backoff.js';
import { handOver } from './c2s_resume.js';
import { sendError } from './c2s_session.js';
import { attach, newParser, releaseSocket, send, sendHeader, streamError, type Info, type State } from './c2s_state.js';

export function onStreamStart(state: State, attrs: Record<string, string>): void {
  const to = (attrs.to ?? '').toLowerCase();
  if (!state.node.hosts.includes(to)) {
    state.host = state.node.hosts[0] as string;
    return streamError(state, 'host-unknown', `this server does not serve '${attrs.to ?? ''}'`);
  }
  state.host = to;
  sendHeader(state);
  void sendFeatures(state);
}

async function sendFeatures(state: State): Promise<void> {
  const { listener, node } = state;
  const children: Element[] = [];
  if (state.jid === null && state.user === null) {
    if (!state.encrypted && listener.kind === 'c2s') children.push(tlsFeature(listener.starttls === 'required'));
    if (!tlsRequired(state)) {
      children.push(mechanismsFeature(mechanisms(state)));
      const cb = channelBindingTypes(state);
      if (cb.length) children.push(channelBindingFeature(cb));
    }
    state.phase = 'wait_for_feature_request';
  } else {
    children.push(...bindFeatures());
    if (state.node.config.c2s.stream_management.enabled) children.push(createElement('sm', { xmlns: NS_SM }));
    state.phase = 'wait_for_bind';
  }
  const extra = await node.hooks.runFold<Element[]>('c2s_stream_features', state.host, [], { authenticated: state.user !== null });
  if (extra !== STOP) children.push(...extra);
  send(state, featuresElement(children, state.listener.framing));
}

const tlsRequired = (state: State): boolean => !state.encrypted && state.listener.starttls === 'required';

function mechanisms(state: State): string[] {
  return offeredMechanisms({
    tls: state.encrypted,
    channelBindingTypes: channelBindingTypes(state),
    passwordFormat: state.node.config.auth.password_format,
    allowPlainWithoutTls: state.listener.allowPlainWithoutTls,
  });
}

function channelBindingTypes(state: State): string[] {
  if (!(state.socket instanceof TLSSocket)) return [];
  return state.socket.getProtocol() === 'TLSv1.3' ? ['tls-exporter'] : ['tls-unique'];
}

function channelBindingData(state: State): { type: string; data: Buffer } | undefined {
  const socket = state.socket;
  if (!(socket instanceof TLSSocket)) return undefined;
  if (socket.getProtocol() === 'TLSv1.3') return { type: 'tls-exporter', data: socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0)) };
  const finished = socket.getPeerFinished();
  return finished ? { type: 'tls-unique', data: finished } : undefined;
}

export async function onFeatureRequest(state: State, el: Element): Promise<void> {
  const ns = el.getNS();
  if (el.name === 'starttls' && ns === NS_TLS && !state.encrypted && state.listener.kind === 'c2s') return startTls(state);
  if (tlsRequired(state)) return streamError(state, 'policy-violation', 'Use of STARTTLS required');
  if (el.name === 'auth' && ns === NS_SASL) {
    const step = await saslAuth(
      { accounts: state.node.accounts, host: state.host, offered: mechanisms(state), channelBinding: channelBindingData(state) },
      el,
    );
    return applySasl(state, step);
  }
  if (el.name === 'iq' && ns === NS_CLIENT) return unauthenticatedIq(state, el);
  streamError(state, 'not-authorized', 'authenticate first');
}

/** Pre-authentication IQs (in-band registration) are offered to modules through `c2s_unauthenticated_iq`. */
async function unauthenticatedIq(state: State, iq: Element): Promise<void> {
  const answer = await state.node.hooks.runFold<Element | null>('c2s_unauthenticated_iq', state.host, null, iq, {
    host: state.host, encrypted: state.encrypted, ip: state.ip,
  });
  if (answer === null || answer === STOP) {
    const reply = errorReply(iq, stanzaError('service-unavailable'));
    if (reply) send(state, reply);
    return;
  }
  send(state, answer);
}

function startTls(state: State): void {
  send(state, createElement('proceed', { xmlns: NS_TLS }));
  const raw = state.socket as Socket; // STARTTLS is offered on the TCP listener only
  releaseSocket(raw);
  const secure = new TLSSocket(raw, { isServer: true, secureContext: state.node.secureContext });
  attach(state, secure);
  secure.once('secure', () => state.self.info({ type: 'tls_ready', socket: secure } satisfies Info));
  state.encrypted = true;
  restartStream(state);
}

/** A new stream after STARTTLS or SASL: nothing sent before the restart may leak into it. */
function restartStream(state: State): void {
  state.events.length = 0;
  state.parser = newParser(state); // a fresh parser: not even an error state carries over
  state.phase = 'wait_for_stream';
  state.headerSent = false;
}

export async function onSaslResponse(state: State, el: Element): Promise<void> {
  if (el.getNS() !== NS_SASL || !state.scram) return streamError(state, 'not-authorized', 'SASL negotiation in progress');
  if (el.name === 'abort') return applySasl(state, failure('aborted'));
  if (el.name !== 'response') return streamError(state, 'not-authorized', 'expected <response/>');
  return applySasl(state, saslResponse(state.scram, el));
}

async function applySasl(state: State, step: SaslStep): Promise<void> {
  state.scram = null;
  switch (step.kind) {
    case 'challenge':
      state.scram = step.exchange;
      state.phase = 'wait_for_sasl_response';
      return send(state, step.reply);
    case 'success':
      state.user = step.user;
      state.log.info({ user: `${step.user}@${state.host}` }, 'authenticated');
      send(state, step.reply);
      return restartStream(state);
    case 'failure': {
      // Repeated failures from one address are answered ever more slowly (RFC 6120 §6.4.5 allows it).
      const delay = authFailureDelay(recordAuthFailure(state.ip), state.node.config.limits.max_auth_failures);
      if (delay > 0) {
        state.log.warn({ delay }, 'repeated authentication failures: answer delayed');
        await new Promise((r) => setTimeout(r, delay));
      }
      state.log.info({ condition: step.condition, ip: state.ip }, 'authentication failed');
      state.phase = 'wait_for_feature_request';
      return send(state, step.reply);
    }
  }
}

export async function onBind(state: State, el: Element): Promise<void> {
  if (el.is('resume', NS_SM)) return handOver(state, el);
  const bind = el.name === 'iq' && el.attrs.type === 'set' ? el.getChild('bind', NS_BIND) : undefined;
  if (!bind) {
    if (el.name === 'iq' && el.getChild('session', NS_SESSION)) return send(state, iqResult(el));
    return streamError(state, 'not-authorized', 'bind a resource first');
  }
  const requested = bind.getChildText('resource');
  const resource = requested ? resourceprep(requested) : randomBytes(6).toString('hex');
  if (!resource) return sendError(state, el, 'bad-request', 'invalid resource');
  const full = jid(state.user as string, state.host, resource);
  if (tooManySessions(state, full)) return sendError(state, el, 'resource-constraint', 'too many sessions for this account');
  await openSession(state.node, state.self, full);
  state.jid = full;
  state.phase = 'session_established';
  state.log = state.log.child({ jid: full.toString() });
  state.self.label = `c2s ${full}`;
  send(state, iqResult(el, createElement('bind', { xmlns: NS_BIND }, createElement('jid', null, full.toString()))));
}

/** RFC 6120 §7.6.2.1, `limits.max_user_sessions`: a new resource past the limit is refused (one replacing a resource is not new). */
function tooManySessions(state: State, full: Jid): boolean {
  const max = state.node.config.limits.max_user_sessions;
  const others = state.node.sessions.resources(full).filter((s) => s.jid.resource !== full.resource);
  if (others.length < max) return false;
  state.log.warn({ user: full.bareString(), limit: max }, 'bind refused: too many sessions');
  return true;
}
