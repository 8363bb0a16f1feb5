/**
 * `storage: postgres` end to end (issue #9): real nodes on a real PostgreSQL. Two nodes boot at
 * once on an empty database (the migrations run once) and share accounts (no node keeps a stale
 * copy of them); the seed's roster set
 * is stored as one row with its version, and survives a restart on a fresh data dir: what
 * survives is in PostgreSQL, not in the node's files. Users chatting all at once (their archive
 * appends batched) find every message through MAM; an account removed (`troupectl unregister`,
 * or XEP-0077 cancel while online) leaves no row of the user in any table, and nobody else's goes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pg from 'pg';
import { MIGRATIONS } from '../../src/storage/pg/migrations.js';
import { startServer, type TestServer } from '../support/server.js';
import { connect, rawSession, xml } from '../support/xmpp.js';
import type { Element } from 'ltx';
import { iq, isPush, items, login, NS_ROSTER, online, pushedItem, register, rosterGet, rosterSet, settle } from '../support/im.js';
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

  const NS_MAM = 'urn:xmpp:mam:2';
  const chat = (to: string, text: string) => xml('message', { to, type: 'chat' }, xml('body', {}, text));
  const isChat = (text: string) => (el: Element) => el.is('message') && el.getChildText('body') === text;

  test('a dozen users write at once: every message is in both archives, found through MAM', async () => {
    const server = servers[0]!;
    const users = Array.from({ length: 12 }, (_, i) => `c${i}`);
    await Promise.all(users.map((u) => register(server, u)));
    const clients = await Promise.all(users.map((u) => online(server, u, 'r')));
    const peer = (i: number) => users[(i + 1) % users.length]!;
    const arrived = clients.map((c, i) => c.next(isChat(`from ${users[(i + users.length - 1) % users.length]}`)));
    await Promise.all(clients.map((c, i) => c.xmpp.send(chat(`${peer(i)}@localhost`, `from ${users[i]}`))));
    await Promise.all(arrived);
    for (const [i, c] of clients.entries()) {
      const answer = await iq(c, 'set', xml('query', { xmlns: NS_MAM, queryid: 'all' }));
      assert.equal(answer.attrs.type, 'result');
      const bodies = c.received
        .filter((el) => el.getChild('result', NS_MAM)?.attrs.queryid === 'all')
        .map((el) => el.getChild('result', NS_MAM)?.getChild('forwarded')?.getChild('message')?.getChildText('body'));
      assert.deepEqual(bodies.sort(), [`from ${users[i]}`, `from ${users[(i + users.length - 1) % users.length]}`].sort(), users[i]);
    }
    const { rows } = await db.query("SELECT count(*)::int AS n FROM mam WHERE username LIKE 'c%'");
    assert.equal(rows[0].n, 24);
    await Promise.all(clients.map((c) => c.stop()));
  });

  /** Rows of `user` in each table that has a `username` column. */
  async function rowsOf(user: string): Promise<Record<string, number>> {
    const { rows: tables } = await db.query("SELECT table_name AS t FROM information_schema.columns WHERE column_name = 'username' AND table_schema = 'public' ORDER BY 1");
    const counts: Record<string, number> = {};
    for (const { t } of tables) counts[t] = (await db.query(`SELECT count(*)::int AS n FROM ${t} WHERE username = $1`, [user])).rows[0].n;
    return counts;
  }

  /** Gives `user` a row in every table: roster, vCard, private XML, PEP, blocklist, archive and its preferences, last activity. */
  async function furnish(server: TestServer, user: string, peer: string): Promise<void> {
    const c = await online(server, user, 'home');
    const ok = async (answer: Promise<Element>) => assert.equal((await answer).attrs.type, 'result', user);
    await ok(rosterSet(c, { jid: `${peer}@localhost`, name: peer }));
    await ok(iq(c, 'set', xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, user))));
    await ok(iq(c, 'set', xml('query', { xmlns: 'jabber:iq:private' }, xml('prefs', { xmlns: 'urn:example:prefs' }, 'x'))));
    const nick = 'http://jabber.org/protocol/nick';
    await ok(iq(c, 'set', xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('publish', { node: nick }, xml('item', {}, xml('nick', { xmlns: nick }, user))))));
    await ok(iq(c, 'set', xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: 'spammer@localhost' }))));
    await ok(iq(c, 'set', xml('prefs', { xmlns: NS_MAM, default: 'always' })));
    const echo = c.next(isChat(`note to self ${user}`));
    await c.xmpp.send(chat(`${user}@localhost`, `note to self ${user}`));
    await echo;
    await c.stop(); // unavailable: last activity
  }

  test('an account removed leaves no row of the user in any table; the other accounts keep theirs', async () => {
    const server = servers[0]!;
    await Promise.all(['doomed', 'keeper', 'quitter', 'mailer'].map((u) => register(server, u)));
    for (const [user, peer] of [['doomed', 'keeper'], ['keeper', 'doomed'], ['quitter', 'keeper']] as const) await furnish(server, user, peer);
    const mailer = await login(server, 'mailer', 'm');
    for (const to of ['doomed', 'keeper', 'quitter']) await mailer.xmpp.send(chat(`${to}@localhost`, 'while you were out'));
    await mailer.stop();
    await settle(300); // the offline rows written
    const tables = ['last_activity', 'mam', 'mam_prefs', 'mam_seq', 'offline', 'passwd', 'pep', 'privacy', 'private', 'roster', 'roster_version', 'vcard'];
    const keeper = await rowsOf('keeper');
    assert.deepEqual(Object.keys(keeper), tables, 'every table keyed by user');
    for (const user of ['doomed', 'keeper', 'quitter']) {
      const rows = await rowsOf(user);
      assert.deepEqual(tables.filter((t) => !rows[t]), [], `${user} has a row in every table`);
    }

    assert.equal((await server.ctl(['unregister', 'doomed', 'localhost'])).code, 0);
    assert.deepEqual(Object.entries(await rowsOf('doomed')).filter(([, n]) => n > 0), [], 'troupectl unregister: nothing of doomed left');

    // XEP-0077 §3.2, online: the result, then the stream closes; its end records no last activity.
    const c = await rawSession(server.ports.c2s_tls, 'quitter', 'quitter-pw', 'last');
    c.write("<presence/><iq type='set' id='rm1'><query xmlns='jabber:iq:register'><remove/></query></iq>");
    assert.match(await c.read((t) => t.includes('</stream:stream>')), /<iq[^>]*type=['"]result['"][^>]*id=['"]rm1['"]|<iq[^>]*id=['"]rm1['"][^>]*type=['"]result['"]/);
    await c.closed;
    await settle(300); // what the session's end runs
    assert.deepEqual(Object.entries(await rowsOf('quitter')).filter(([, n]) => n > 0), [], 'cancel: nothing of quitter left');

    assert.deepEqual(await rowsOf('keeper'), keeper, "keeper's rows untouched");
    await assert.rejects(login(server, 'doomed', 'again'), 'the account is gone');
  });
});
