/** The table of IQs the server sent and waits for (RFC 6120 §8.2.3): matched by id and sender, or timed out. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createElement } from 'ltx';
import { parseJid } from '../../src/jid.js';
import { PendingIqs } from '../../src/iq/pending.js';

const alice = parseJid('alice@localhost/phone');
const mallory = parseJid('mallory@localhost/x');
const reply = (id: string, type = 'result') => createElement('iq', { id, type });

describe('PendingIqs', () => {
  it('a result or an error with our id, from the peer asked, is the reply', async () => {
    const table = new PendingIqs('t-');
    const a = table.expect(alice, 1000);
    const b = table.expect(alice, 1000);
    assert.ok(a.id.startsWith('t-') && a.id !== b.id);
    assert.equal(table.take(reply(a.id), alice), true);
    assert.equal(table.take(reply(b.id, 'error'), alice), true);
    assert.equal((await a.reply)?.attrs.type, 'result');
    assert.equal((await b.reply)?.attrs.type, 'error');
    assert.equal(table.size, 0);
  });

  it('not a reply: another sender, a get/set, an unknown id, a second answer', () => {
    const table = new PendingIqs('t-');
    const { id } = table.expect(alice, 1000);
    assert.equal(table.take(reply(id), mallory), false);
    assert.equal(table.take(reply(id, 'get'), alice), false);
    assert.equal(table.take(createElement('message', { id, type: 'result' }), alice), false);
    assert.equal(table.take(reply('t-unknown'), alice), false);
    assert.equal(table.take(reply(id), alice), true);
    assert.equal(table.take(reply(id), alice), false);
  });

  it('no answer in time: null; clear() drops waiters without resolving them', async () => {
    const table = new PendingIqs('t-');
    const keepAlive = setTimeout(() => undefined, 1000); // the table's timers are unref'd
    assert.equal(await table.expect(alice, 20).reply, null);
    let settled = false;
    void table.expect(alice, 20).reply.then(() => (settled = true));
    table.clear();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(settled, false);
    assert.equal(table.size, 0);
    clearTimeout(keepAlive);
  });
});
