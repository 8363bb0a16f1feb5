/**
 * mod_muc's store, on each backend: persistent rooms by service and name, one service's rooms only in
 * a listing (a service whose name another's starts with included), replaced and deleted.
 */
import { forEachBackend } from '../support/stores.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG } from '../../src/muc/config.js';
import type { StoredRoom } from '../../actors/modules/mod_muc.store.js';

const room = (title: string): StoredRoom => ({
  config: { ...DEFAULT_CONFIG, persistent: true, title }, affiliations: [['alice@localhost', 'owner'], ['bob@localhost', 'outcast']], subject: { text: 'hi', nick: 'Al' },
});

forEachBackend(({ stores }) => {
  test('rooms: put, get, list per service, replace, delete', async () => {
    const s = stores.muc();
    await s.put('conference.localhost', 'lobby', room('Lobby'));
    await s.put('conference.localhost', 'attic', room('Attic'));
    await s.put('conference.localhost.org', 'elsewhere', room('Elsewhere'));
    assert.deepEqual(await s.get('conference.localhost', 'lobby'), room('Lobby'));
    assert.equal(await s.get('conference.localhost', 'nosuch'), undefined);
    assert.deepEqual((await s.list('conference.localhost')).map(([name, r]) => [name, r.config.title]), [['attic', 'Attic'], ['lobby', 'Lobby']]);
    await s.put('conference.localhost', 'lobby', room('Hall'));
    assert.equal((await s.get('conference.localhost', 'lobby'))?.config.title, 'Hall');
    await s.delete('conference.localhost', 'lobby');
    assert.equal(await s.get('conference.localhost', 'lobby'), undefined);
    assert.deepEqual((await s.list('conference.localhost')).map(([name]) => name), ['attic']);
    assert.deepEqual((await s.list('conference.localhost.org')).map(([name]) => name), ['elsewhere']);
  });
});
