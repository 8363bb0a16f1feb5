/**
 * The stores of mod_vcard, mod_private, mod_blocking, mod_offline, mod_last and the accounts on
 * each backend, and mod_blocking's lists in
 * memory: one user's rows only, the private size bound, removal of everything in one batch,
 * lists kept only while the user has a session.
 */
import { forEachBackend, removeWith } from '../support/stores.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJid } from '../../src/jid.js';
import type { Process } from '../../supervision/process.js';
import { SessionTable } from '../../actors/session_table.js';
import { BlockLists } from '../../actors/modules/mod_blocking.lists.js';

forEachBackend(({ stores }) => {
  test('vcard: set, get, remove; users do not leak into each other', async () => {
    const s = stores.vcard();
    await s.set('al', 'localhost', { xml: '<vCard xmlns="vcard-temp"><FN>Al</FN></vCard>', photo: '' });
    await s.set('alice', 'localhost', { xml: '<vCard xmlns="vcard-temp"/>', photo: 'abc' });
    assert.equal((await s.get('al', 'localhost'))?.xml.includes('<FN>Al</FN>'), true);
    assert.equal(await s.get('al', 'example.org'), undefined);
    await removeWith(stores, 'al', 'localhost', (r) => s.removeUser(r));
    assert.equal(await s.get('al', 'localhost'), undefined);
    assert.equal((await s.get('alice', 'localhost'))?.photo, 'abc');
  });

  test('private: fragments by (name, ns), replaced in place, bounded in total, removed together', async () => {
    const s = stores.private();
    const a = { name: 'prefs', ns: 'urn:a', xml: '<prefs xmlns="urn:a">1</prefs>' };
    const b = { name: 'other', ns: 'urn:a', xml: '<other xmlns="urn:a">2</other>' };
    assert.equal(await s.set('bo', 'localhost', [a, b], 1000), true);
    assert.equal(await s.set('bob', 'localhost', [a], 1000), true);
    assert.deepEqual(await s.get('bo', 'localhost', [a, b, { name: 'prefs', ns: 'urn:b' }]), [a.xml, b.xml, undefined]);
    const bigger = { ...a, xml: `<prefs xmlns="urn:a">${'x'.repeat(100)}</prefs>` };
    const limit = (await s.size('bo', 'localhost')) - Buffer.byteLength(a.xml) + Buffer.byteLength(bigger.xml);
    assert.equal(await s.set('bo', 'localhost', [bigger], limit - 1), false, 'a replacement counts once, and past the bound nothing is written');
    assert.deepEqual(await s.get('bo', 'localhost', [a]), [a.xml]);
    assert.equal(await s.set('bo', 'localhost', [bigger], limit), true);
    await removeWith(stores, 'bo', 'localhost', (r) => s.removeUser(r));
    assert.equal(await s.size('bo', 'localhost'), 0);
    assert.deepEqual(await s.get('bob', 'localhost', [a]), [a.xml], "a user whose name extends another's keeps its data");
  });

  test('blocking: lists kept in memory while the user has a session, changes stored', async () => {
    const store = stores.blocking();
    const sessions = new SessionTable(() => undefined);
    const lists = new BlockLists(store, sessions);
    const carol = parseJid('carol@localhost/desk');
    await store.set('carol', 'localhost', ['dave@localhost']);
    assert.deepEqual([...(await lists.of(carol))], ['dave@localhost']);
    assert.equal(lists.cached(carol), undefined, 'not kept without a session');

    const pid = { label: 'c2s' } as unknown as Process;
    sessions.open(carol, pid);
    await lists.of(carol);
    assert.deepEqual([...(lists.cached(carol) ?? [])], ['dave@localhost']);
    const { before: was, after: now } = await lists.update(carol, (l) => new Set([...l, 'eve@localhost']));
    assert.deepEqual([...was], ['dave@localhost']);
    assert.deepEqual([...now].sort(), ['dave@localhost', 'eve@localhost']);
    assert.equal(lists.cached(carol), now);
    assert.deepEqual((await store.get('carol', 'localhost')).sort(), ['dave@localhost', 'eve@localhost']);

    sessions.close(pid, 'normal');
    lists.forget(carol);
    assert.equal(lists.cached(carol), undefined, 'forgotten with the last session');

    await lists.update(carol, () => new Set());
    assert.deepEqual(await store.get('carol', 'localhost'), [], 'an empty list deletes the row');
    await store.set('carol', 'localhost', ['x@y']);
    await removeWith(stores, 'carol', 'localhost', (r) => lists.remove(r));
    assert.deepEqual(await store.get('carol', 'localhost'), []);
  });

  test('offline: arrival order, the limit, a pop hands each message out once', async () => {
    const s = stores.offline();
    for (let i = 0; i < 3; i++) assert.equal(await s.store('olga', 'localhost', { xml: `<message>${i}</message>`, from: 'x@y' }, 3), true);
    assert.equal(await s.store('olga', 'localhost', { xml: '<message>3</message>', from: 'x@y' }, 3), false, 'full');
    await s.store('olga2', 'localhost', { xml: '<message>other</message>', from: 'x@y' }, 3);
    assert.equal(await s.count('olga', 'localhost'), 3);
    const handed: string[][] = [];
    const counts = await Promise.all([1, 2].map(() => s.pop('olga', 'localhost', (ms) => handed.push(ms.map((m) => m.xml)))));
    assert.deepEqual(counts.sort(), [0, 3]);
    assert.deepEqual(handed, [['<message>0</message>', '<message>1</message>', '<message>2</message>']]);
    assert.equal(await s.count('olga', 'localhost'), 0);
    await removeWith(stores, 'olga2', 'localhost', (r) => s.removeUser(r));
    assert.equal(await s.count('olga2', 'localhost'), 0);
  });

  test('last activity and accounts: set, get, list, remove', async () => {
    const last = stores.last();
    await last.set('lea', 'localhost', { at: 1_700_000_000, status: 'gone' });
    assert.deepEqual(await last.get('lea', 'localhost'), { at: 1_700_000_000, status: 'gone' });
    await removeWith(stores, 'lea', 'localhost', (r) => last.removeUser(r));
    assert.equal(await last.get('lea', 'localhost'), undefined);

    const passwd = stores.passwd();
    await passwd.set('zoe', 'localhost', { format: 'plain', password: 'one' });
    await passwd.set('adam', 'localhost', { format: 'plain', password: 'two' });
    await passwd.set('zoe', 'example.org', { format: 'plain', password: 'three' });
    await passwd.set('zoe', 'localhost', { format: 'plain', password: 'four' });
    assert.deepEqual(await passwd.get('zoe', 'localhost'), { format: 'plain', password: 'four' });
    assert.deepEqual(await passwd.users('localhost'), ['adam', 'zoe']);
    await removeWith(stores, 'zoe', 'localhost', (r) => passwd.removeUser(r));
    assert.equal(await passwd.get('zoe', 'localhost'), undefined);
    assert.deepEqual(await passwd.users('example.org'), ['zoe']);
  });
});
