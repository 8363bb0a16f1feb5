/**
 * XEP-0045 §7.4 on the wire: the exact groupchat copy each occupant reads from its socket. The
 * room builds and serialises a message once and only the `to` differs per copy, so this
 * checks the bytes: from the sender's occupant JID, to the occupant's full JID, the sender's
 * type and id, its body (and its other children), the room's XEP-0359 `<stanza-id/>` while the
 * room archives (the id it is stored under), and nothing else (no `xmlns='jabber:client'`, the
 * stream's default, no forged stanza-id).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, type Element } from 'ltx';
import { rawSession, xml, type RawClient } from '../support/xmpp.js';
import { iq } from '../support/im.js';
import { configure, createRoom, groupchat, roomJid, Scene } from '../support/muc.js';

const NS_SID = 'urn:xmpp:sid:0';
const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates';
const scene = new Scene();
let bob: RawClient;
let carol: RawClient;

before(async () => {
  await scene.start(['alice', 'bob', 'carol']);
  const port = scene.server.ports.c2s_tls;
  [bob, carol] = await Promise.all([rawSession(port, 'bob', 'bob-pw'), rawSession(port, 'carol', 'carol-pw')]);
});
after(async () => {
  bob?.end();
  carol?.end();
  await scene.stop();
});

/** Joins `room` as `nick` over the raw session and waits for the join to end (the subject). */
async function rawJoin(c: RawClient, room: string, nick: string): Promise<void> {
  c.write(`<presence to='${roomJid(room)}/${nick}'><x xmlns='http://jabber.org/protocol/muc'/></presence>`);
  await c.read((t) => new RegExp(`<message[^>]*from="${roomJid(room)}/?[^"]*"[^>]*type="groupchat"[^>]*><subject`).test(t) || t.includes(`from="${roomJid(room)}" type="groupchat"><subject`));
}

/** The first message element on the wire whose body is `body`, as sent. */
async function wireCopy(c: RawClient, body: string): Promise<string> {
  const find = (t: string): string | undefined => t.match(new RegExp(`<message [^>]*>(?:(?!</message>).)*<body>${body}</body>.*?</message>`, 's'))?.[0];
  return find(await c.read((t) => find(t) !== undefined)) as string;
}

const childSummary = (el: Element): string[] => el.getChildElements().map((c) => `${c.name} ${c.getNS() ?? ''}`);

test('each occupant reads the same copy but for its to: from, to, type, id, body, the sender\'s children, the room\'s stanza-id', async () => {
  const alice = await scene.user('alice');
  await createRoom(alice, 'wire', 'Alice');
  await rawJoin(bob, 'wire', 'Bob');
  await rawJoin(carol, 'wire', 'Carol');

  // A sender's claim of a stanza-id by the room goes (XEP-0359 §4); its other children stay.
  const forged = xml('stanza-id', { xmlns: NS_SID, by: roomJid('wire'), id: 'forged' });
  await alice.xmpp.send(xml('message', { to: roomJid('wire'), type: 'groupchat', id: 'w1' }, xml('body', {}, 'hello & <welcome>'), xml('active', { xmlns: NS_CHATSTATES }), forged));
  const escaped = 'hello &amp; &lt;welcome&gt;';
  const [toBob, toCarol] = await Promise.all([wireCopy(bob, escaped), wireCopy(carol, escaped)]);

  assert.doesNotMatch(toBob, /xmlns="jabber:client"/, 'the stream\'s default namespace is not repeated');
  const copy = parse(toBob);
  const { id: sid, ...stanzaIdAttrs } = copy.getChild('stanza-id', NS_SID)?.attrs ?? {};
  assert.deepEqual(copy.attrs, { from: `${roomJid('wire')}/Alice`, to: 'bob@localhost/raw', type: 'groupchat', id: 'w1' });
  assert.deepEqual(childSummary(copy), ['body ', `active ${NS_CHATSTATES}`, `stanza-id ${NS_SID}`]);
  assert.equal(copy.getChildText('body'), 'hello & <welcome>');
  assert.deepEqual(stanzaIdAttrs, { xmlns: NS_SID, by: roomJid('wire') });
  assert.ok(sid && sid !== 'forged', `the room's own id: ${sid}`);
  assert.equal(toCarol, toBob.replace('to="bob@localhost/raw"', 'to="carol@localhost/raw"'), 'the copies differ only in to');
  const own = await alice.next((el) => el.is('message') && el.attrs.id === 'w1');
  assert.deepEqual([own.attrs.to, own.getChild('stanza-id', NS_SID)?.attrs.id], ['alice@localhost/r', sid]);

  // What the room stored under that id is the message the occupants got.
  const answer = iq(alice, 'set', xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'q1' }), roomJid('wire'));
  assert.equal((await answer).attrs.type, 'result');
  const [result] = alice.received.filter((el) => el.getChild('result', 'urn:xmpp:mam:2')?.attrs.queryid === 'q1').map((el) => el.getChild('result') as Element);
  const archived = result?.getChild('forwarded')?.getChild('message');
  assert.deepEqual([result?.attrs.id, archived?.attrs.from, archived?.getChildText('body')], [sid, `${roomJid('wire')}/Alice`, 'hello & <welcome>']);
});

test('a room that does not archive sends the body alone, no stanza-id', async () => {
  const [alice] = scene.users('alice');
  await createRoom(alice, 'quiet', 'Alice', { 'muc#roomconfig_enablearchiving': '0' });
  await rawJoin(bob, 'quiet', 'Bob');
  await alice.xmpp.send(groupchat('quiet', 'unarchived'));
  const copy = parse(await wireCopy(bob, 'unarchived'));
  assert.deepEqual(copy.attrs, { from: `${roomJid('quiet')}/Alice`, to: 'bob@localhost/raw', type: 'groupchat', id: 'unarchived' });
  assert.deepEqual(childSummary(copy), ['body ']);
  // The configuration form is what turned it off: switching it back on stamps again.
  assert.equal((await configure(alice, 'quiet', { 'muc#roomconfig_enablearchiving': '1' })).attrs.type, 'result');
  await alice.xmpp.send(groupchat('quiet', 'archived'));
  assert.ok(parse(await wireCopy(bob, 'archived')).getChild('stanza-id', NS_SID));
});
