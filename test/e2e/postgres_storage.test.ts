/**
 * `storage: postgres` end to end (issue #9): real nodes on a real PostgreSQL. Two nodes boot at
 * once on an empty database (the migrations run once) and share accounts (no node keeps a stale
 * copy of them); the seed's roster set
 * is stored as one row with its version, and survives a restart on a fresh data dir: what
 * survives is in PostgreSQL, not in the node's files.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pg from 'pg';
import { MIGRATIONS } from '../../src/storage/pg/migrations.js';
import { startServer, type TestServer } from '../support/server.js';
import { connect, xml } from '../support/xmpp.js';
import { isPush, items, login, NS_ROSTER, pushedItem, register, rosterGet } from '../support/im.js';
import { postgresSkip, startPostgres, type TestPostgres } from '../support/postgres.js';

describe('storage: postgres', { skip: postgresSkip }, () => {
  let postgres: TestPostgres;
  let db: pg.Pool;
  let config: Record<string, unknown>;
  const servers: TestServer[] = [];
  const node = async () => {
    const server = await startServer(config);
    servers.push(server);
    return server;
  };

  before(async () => {
    postgres = await startPostgres();
    const url = await postgres.createDatabase('troupe');
    config = { storage: 'postgres', postgres_url: url };
    db = new pg.Pool({ connectionString: url });
  });
  after(async () => {
    for (const s of servers) await s.stop();
    await db?.end();
    await postgres?.stop();
  });

  test('two nodes boot at once on an empty database: migrated once, accounts shared, no stale login cache', async () => {
    const [a, b] = await Promise.all([node(), node()]);
    const { rows } = await db.query('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
    await register(a!, 'alice', 'bob');
    assert.deepEqual((await b!.ctl(['registered-users', 'localhost'])).stdout.trim().split('\n'), ['alice', 'bob']);
    const onB = await login(b!, 'alice', 'desk');
    await onB.stop();
    // b has just read alice's credentials; a password changed on a applies on b at once.
    assert.equal((await a!.ctl(['passwd', 'alice', 'localhost', 'changed'])).code, 0);
    await assert.rejects(login(b!, 'alice', 'old'), 'the old password no longer works on b');
    await (await connect({ port: b!.ports.c2s, username: 'alice', password: 'changed', resource: 'new' })).stop();
    assert.equal((await a!.ctl(['passwd', 'alice', 'localhost', 'alice-pw'])).code, 0);
    const backup = await a!.ctl(['backup', join(a!.dir, 'backup.jsonl')]);
    assert.equal(backup.code, 1);
    assert.match(backup.stderr, /pg_dump/);
  });

  test("the seed's roster set: one row with its version, and it survives a restart on a fresh data dir", async () => {
    const server = servers[0]!;
    const desk = await login(server, 'alice', 'desk');
    await rosterGet(desk);
    const answer = desk.next((el) => el.is('iq') && el.attrs.id === 'M8QF3-52');
    await desk.xmpp.send(
      xml('iq', { id: 'M8QF3-52', type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: 'bob@localhost', name: 'Bob' }, xml('group', {}, 'Friends')))),
    );
    assert.equal((await answer).attrs.type, 'result');
    const push = await desk.next(isPush('bob@localhost'));
    assert.equal(pushedItem(push).attrs.name, 'Bob');
    await desk.stop();

    const { rows } = await db.query(
      "SELECT r.item, v.version FROM roster r JOIN roster_version v USING (host, username) WHERE r.host = 'localhost' AND r.username = 'alice'",
    );
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0].item.jid, rows[0].item.name, rows[0].item.groups], ['bob@localhost', 'Bob', ['Friends']]);
    assert.equal(String(rows[0].version), push.getChild('query', NS_ROSTER)?.attrs.ver, 'the version pushed is the version stored');

    for (const s of servers.splice(0)) await s.stop();
    const fresh = await node();
    const again = await login(fresh, 'alice', 'phone');
    const bob = items(await rosterGet(again)).get('bob@localhost');
    assert.ok(bob, 'the item survived the restart');
    assert.equal(bob.attrs.name, 'Bob');
    assert.deepEqual(bob.getChildren('group').map((g) => g.getText()), ['Friends']);
    await again.stop();
  });
});
