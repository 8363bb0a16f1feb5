/**
 * What crosses the process boundary between a module's proxy and its forked process
 * (ARCHITECTURE §7): comedy's IPC carries JSON, so an IQ travels as its XML text and its
 * prepared JIDs, and comes back as the result's child (XML) or a StanzaError value.
 */
import { parse, type Element } from 'ltx';
import { parseJid } from '../../src/jid.js';
import { isStanzaError, type StanzaError } from '../../src/stanza/error.js';
import { ANSWERED, type Iq, type IqAnswer } from '../iq_handler.js';

/** The comedy actor's custom parameters: which module to run, with what, for which hosts. */
export interface ForkedModuleParams {
  module: string;
  /** The module's options as written in troupe.yml (JSON), `placement` removed; parsed again in the child. */
  opts: unknown;
  hosts: readonly string[];
  /** The parent's pino level, so the child logs (or stays silent) alike. */
  level: string;
}

/** One IQ for the handler registered for (`host`, `ns`). */
export interface WireIq {
  host: string;
  ns: string;
  from: string;
  to: string;
  type: 'get' | 'set';
  stanza: string;
}

/** The handler's answer: the result's child (null: an empty result) or a stanza error. */
export type WireAnswer = { xml: string | null } | { error: StanzaError };

export function encodeIq(host: string, ns: string, iq: Iq): WireIq {
  return { host, ns, from: iq.from.toString(), to: iq.to.toString(), type: iq.type, stanza: iq.stanza.toString() };
}

export function decodeIq(w: WireIq): Iq {
  const stanza = parse(w.stanza);
  const payload = stanza.getChildElements()[0];
  if (!payload) throw new Error('forked IQ without a payload');
  return { from: parseJid(w.from), to: parseJid(w.to), type: w.type, payload, stanza };
}

export function encodeAnswer(answer: IqAnswer): WireAnswer {
  if (answer === ANSWERED) throw new Error('a forked IQ handler cannot route its own answer (ANSWERED)');
  if (isStanzaError(answer)) return { error: answer };
  return { xml: answer === null ? null : answer.toString() };
}

export function decodeAnswer(w: WireAnswer): Element | null | StanzaError {
  if ('error' in w) return w.error;
  return w.xml === null ? null : parse(w.xml);
}
