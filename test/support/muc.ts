/**
 * XEP-0045 conversation helpers: join a room (and wait for one's own presence), create and
 * configure one, the status codes and item of an occupant presence, groupchat.
 */
import assert from 'node:assert/strict';
import type { Element } from 'ltx';
import { xml, type TestClient } from './xmpp.js';
import { iq, online, register } from './im.js';
import { startServer, type ServerOverrides, type TestServer } from './server.js';

export const SERVICE = 'conference.localhost';
export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
export const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';

export const roomJid = (room: string): string => `${room}@${SERVICE}`;

/** The status codes of a MUC presence or message. */
export const codes = (el: Element): number[] => (el.getChild('x', NS_MUC_USER)?.getChildren('status') ?? []).map((s) => Number(s.attrs.code));
export const item = (el: Element): Element | undefined => el.getChild('x', NS_MUC_USER)?.getChild('item');

/** Presence from `room/nick` (any type when `type` is not given as a string or null = available). */
export const isOccupantPresence = (room: string, nick: string, type: string | null = null) => (el: Element): boolean =>
  el.is('presence') && el.attrs.from === `${roomJid(room)}/${nick}` && (el.attrs.type ?? null) === type;

/** Sends a join and resolves with the answer: the self-presence (110) or an error presence. */
export async function join(c: TestClient, room: string, nick: string, extra: Element[] = []): Promise<Element> {
  const answer = c.next(
    (el) => el.is('presence') && el.attrs.from === `${roomJid(room)}/${nick}` && (el.attrs.type === 'error' || codes(el).includes(110)),
  );
  await c.xmpp.send(xml('presence', { to: `${roomJid(room)}/${nick}` }, xml('x', { xmlns: NS_MUC }, ...extra)));
  return answer;
}

/** Joined: the self-presence came, and the subject (the last thing of a join, §7.2.16). */
export async function joined(c: TestClient, room: string, nick: string, extra: Element[] = []): Promise<Element> {
  const self = await join(c, room, nick, extra);
  assert.equal(self.attrs.type, undefined, `join ${room}/${nick}: ${self.toString()}`);
  await c.next((el) => el.is('message') && el.attrs.type === 'groupchat' && !!el.getChild('subject') && el.attrs.from?.startsWith(roomJid(room)) === true);
  return self;
}

const field = (name: string, value: string) => xml('field', { var: name }, xml('value', {}, value));

/** Submits the room configuration form with these fields (owner only). */
export function configure(c: TestClient, room: string, fields: Record<string, string>): Promise<Element> {
  const form = xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, field('FORM_TYPE', 'http://jabber.org/protocol/muc#roomconfig'), ...Object.entries(fields).map(([k, v]) => field(k, v)));
  return iq(c, 'set', xml('query', { xmlns: NS_MUC_OWNER }, form), roomJid(room));
}

/** Creates the room (201), configures it, and is its first occupant. */
export async function createRoom(c: TestClient, room: string, nick: string, fields: Record<string, string> = {}): Promise<void> {
  const self = await joined(c, room, nick);
  assert.ok(codes(self).includes(201), `room ${room} created: ${self.toString()}`);
  const result = await configure(c, room, fields);
  assert.equal(result.attrs.type, 'result', result.toString());
}

export const groupchat = (room: string, body: string) => xml('message', { to: roomJid(room), type: 'groupchat', id: body }, xml('body', {}, body));
export const isGroupchat = (room: string, body: string) => (el: Element): boolean =>
  el.is('message') && el.attrs.type === 'groupchat' && el.attrs.from?.startsWith(`${roomJid(room)}/`) === true && el.getChildText('body') === body;

/** A muc#admin set of one item. */
export const admin = (c: TestClient, room: string, attrs: Record<string, string>, reason?: string): Promise<Element> =>
  iq(c, 'set', xml('query', { xmlns: NS_MUC_ADMIN }, xml('item', attrs, ...(reason ? [xml('reason', {}, reason)] : []))), roomJid(room));

/** A test server with accounts, and the clients a test file logs in (resource `r`), stopped at the end. */
export class Scene {
  server!: TestServer;
  readonly clients = new Map<string, TestClient>();

  async start(users: string[], overrides: ServerOverrides = {}): Promise<void> {
    this.server = await startServer(overrides);
    await register(this.server, ...users);
  }

  /** Logs `name` in (available presence sent). */
  async user(name: string): Promise<TestClient> {
    const c = await online(this.server, name, 'r');
    this.clients.set(name, c);
    return c;
  }

  /** The clients already logged in, by name. */
  users(...names: string[]): TestClient[] {
    return names.map((n) => {
      const c = this.clients.get(n);
      assert.ok(c, `${n} is not logged in`);
      return c;
    });
  }

  async stopClients(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.stop()));
    this.clients.clear();
  }

  async stop(): Promise<void> {
    await this.stopClients();
    await this.server?.stop();
  }
}
