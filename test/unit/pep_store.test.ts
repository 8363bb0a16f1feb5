/** mod_pep's store, on each backend: one account's nodes only, a change written whole or (on error) not at all, deletion, removal. */
import { forEachBackend, removeWith } from '../support/stores.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stanzaError } from '../../src/stanza/error.js';
import { DEFAULT_CONFIG } from '../../src/pep/config.js';
import { publishItem, type PepNode } from '../../src/pep/node.js';

const item = (id: string) => ({ id, xml: `<p xmlns='urn:p'>${id}</p>` });

forEachBackend(({ stores }) => {
  test('nodes per account; an erroring change writes nothing; null deletes; removeUser takes them all', async () => {
    const s = stores.pep();
    await s.update('al', 'localhost', 'urn:a', (n) => publishItem(n, item('1'), {}, DEFAULT_CONFIG));
    await s.update('al', 'localhost', 'urn:b', (n) => publishItem(n, item('2'), { max_items: 5 }, DEFAULT_CONFIG));
    await s.update('alice', 'localhost', 'urn:a', (n) => publishItem(n, item('3'), {}, DEFAULT_CONFIG));
    assert.deepEqual(await s.nodes('al', 'localhost'), ['urn:a', 'urn:b']);
    assert.deepEqual(await s.nodes('alice', 'localhost'), ['urn:a']);

    const refused = await s.update('al', 'localhost', 'urn:b', () => stanzaError('conflict'));
    assert.equal((refused as { condition: string }).condition, 'conflict');
    assert.deepEqual((await s.node('al', 'localhost', 'urn:b'))?.items, [item('2')]);

    // concurrent changes of one user are serialised: none is lost
    await Promise.all(['4', '5', '6'].map((id) => s.update('al', 'localhost', 'urn:b', (n) => publishItem(n, item(id), {}, DEFAULT_CONFIG))));
    assert.deepEqual((await s.node('al', 'localhost', 'urn:b') as PepNode).items.map((i) => i.id), ['2', '4', '5', '6']);

    assert.equal(await s.update('al', 'localhost', 'urn:a', () => null), null);
    assert.deepEqual(await s.nodes('al', 'localhost'), ['urn:b']);
    await removeWith(stores, 'al', 'localhost', (r) => s.removeUser(r));
    assert.deepEqual(await s.nodes('al', 'localhost'), []);
    assert.equal((await s.node('alice', 'localhost', 'urn:a'))?.items[0]?.id, '3');
  });
});
