/**
 * Conversation helpers for the roster, presence and offline tests (RFC 6121): IQs with their
 * answer, roster get/set, pushes, error conditions, users and clients on a test server.
 */
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import type { TestServer } from './server.js';
import { connect, xml, type TestClient } from './xmpp.js';

export const NS_ROSTER = 'jabber:iq:roster';
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

let ids = 0;

/** Sends an IQ (no 'to' unless given) and resolves with its result or error. */
export async function iq(c: TestClient, type: 'get' | 'set', child: Element, to?: string, timeoutMs = 5000): Promise<Element> {
  const id = `t${++ids}`;
  const answer = c.next((el) => el.is('iq') && el.attrs.id === id && (el.attrs.type === 'result' || el.attrs.type === 'error'), timeoutMs);
  answer.catch(() => undefined); // if the send fails, its error is the one to see, not a later timeout
  await c.xmpp.send(xml('iq', { type, id, to }, child));
  return answer;
}

export const rosterGet = (c: TestClient, ver?: string): Promise<Element> => iq(c, 'get', xml('query', { xmlns: NS_ROSTER, ver }));

export function rosterSet(c: TestClient, attrs: Record<string, string>, groups: string[] = [], to?: string): Promise<Element> {
  return iq(c, 'set', xml('query', { xmlns: NS_ROSTER }, xml('item', attrs, ...groups.map((g) => xml('group', {}, g)))), to);
}

/** The defined condition of an error stanza (RFC 6120 §8.3.3), or null. */
export function condition(el: Element): string | null {
  const error = el.getChild('error');
  return error?.getChildElements().find((c) => c.getNS() === NS_STANZAS && c.name !== 'text')?.name ?? null;
}

export const isPush = (jid?: string) => (el: Element): boolean =>
  el.is('iq') && el.attrs.type === 'set' && !!el.getChild('query', NS_ROSTER) && (jid === undefined || el.getChild('query', NS_ROSTER)?.getChild('item')?.attrs.jid === jid);

export const pushedItem = (el: Element): Element => el.getChild('query', NS_ROSTER)?.getChild('item') as Element;

export const isPresence = (from: string, type?: string) => (el: Element): boolean =>
  el.is('presence') && (el.attrs.from === from || el.attrs.from?.split('/')[0] === from) && el.attrs.type === type;

/** The items of a roster result, by JID. */
export function items(result: Element): Map<string, Element> {
  const query = result.getChild('query', NS_ROSTER);
  return new Map((query?.getChildren('item') ?? []).map((i) => [i.attrs.jid as string, i]));
}

export async function register(server: TestServer, ...users: string[]): Promise<void> {
  for (const user of users) {
    const r = await server.ctl(['register', user, 'localhost', `${user}-pw`]);
    assert.equal(r.code, 0, r.stderr);
  }
}

export const login = (server: TestServer, user: string, resource: string): Promise<TestClient> =>
  connect({ port: server.ports.c2s, username: user, password: `${user}-pw`, resource });

/** Resolves after `ms`; for asserting that nothing more arrives. */
export const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Logs in and sends available presence; resolves once the server reflected it. */
export async function online(server: TestServer, user: string, resource: string): Promise<TestClient> {
  const c = await login(server, user, resource);
  await c.xmpp.send(xml('presence'));
  await c.next(isPresence(`${user}@localhost/${resource}`));
  return c;
}

/** `subscriber` asks for `owner`'s presence and `owner` approves: owner's roster has subscriber with 'from'. */
export async function approveSubscription(subscriber: TestClient, subscriberBare: string, owner: TestClient, ownerBare: string): Promise<void> {
  await subscriber.xmpp.send(xml('presence', { to: ownerBare, type: 'subscribe' }));
  await owner.next(isPresence(subscriberBare, 'subscribe'));
  await owner.xmpp.send(xml('presence', { to: subscriberBare, type: 'subscribed' }));
  await subscriber.next(isPresence(ownerBare, 'subscribed'));
  await settle(200);
}
