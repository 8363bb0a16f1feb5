/**
 * Prometheus `/metrics` end to end: a real node scraped over HTTP, the text exposition format
 * (0.0.4) parsed, every Troupe series present with its type, and the counters moving when
 * alice messages bob and when router is crashed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../support/server.js';
import { xml } from '../support/xmpp.js';
import { login, register } from '../support/im.js';
import { eventually } from '../support/worker.js';

let server: TestServer;

before(async () => {
  server = await startServer();
  await register(server, 'alice', 'bob');
});

after(async () => {
  await server?.stop();
});

interface Scrape {
  /** `name{label="v",…}` (labels sorted) → value. */
  samples: Map<string, number>;
  /** metric family → counter|gauge|histogram|… */
  types: Map<string, string>;
  contentType: string;
}

/** The text format: `# TYPE name type` lines and `name{labels} value` samples. */
function parseExposition(text: string): Pick<Scrape, 'samples' | 'types'> {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(sample, `not a sample line: ${line}`);
    const labels = [...(sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => `${m[1]}="${m[2]}"`).sort();
    samples.set(labels.length ? `${sample[1]}{${labels.join(',')}}` : sample[1]!, Number(sample[3]));
  }
  return { samples, types };
}

async function scrape(): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${server.ports.http}/metrics`);
  assert.equal(res.status, 200);
  return { ...parseExposition(await res.text()), contentType: res.headers.get('content-type') ?? '' };
}

function value(s: Scrape, series: string): number {
  const v = s.samples.get(series);
  assert.ok(v !== undefined, `series ${series} missing`);
  return v;
}

test('every Troupe series is exposed with its type, in the Prometheus text format', async () => {
  const alice = await login(server, 'alice', 'desk');
  const s = await scrape();
  assert.match(s.contentType, /^text\/plain; version=0\.0\.4/);
  assert.equal(s.types.get('troupe_sessions'), 'gauge');
  assert.equal(value(s, 'troupe_sessions'), 1);
  for (const dir of ['in', 'out']) {
    assert.equal(s.types.get(`troupe_stanzas_${dir}_total`), 'counter');
    for (const type of ['message', 'presence', 'iq']) value(s, `troupe_stanzas_${dir}_total{type="${type}"}`);
  }
  for (const histogram of ['troupe_routing_seconds', 'troupe_leveldb_write_seconds']) {
    assert.equal(s.types.get(histogram), 'histogram');
    value(s, `${histogram}_bucket{le="+Inf"}`);
    value(s, `${histogram}_sum`);
  }
  assert.ok(value(s, 'troupe_leveldb_write_seconds_count') >= 1, 'registering alice and bob wrote to LevelDB');
  assert.equal(s.types.get('troupe_actor_mailbox'), 'gauge');
  assert.equal(s.types.get('troupe_actor_restarts_total'), 'counter');
  for (const actor of ['troupe_sup', 'router', 'sm', 'hooks', 'storage', 'listener_http', 'c2s']) {
    assert.ok(value(s, `troupe_actor_mailbox{actor="${actor}"}`) >= 0);
    assert.equal(value(s, `troupe_actor_restarts_total{actor="${actor}"}`), 0);
  }
  assert.equal(s.types.get('nodejs_eventloop_lag_seconds'), 'gauge');
  value(s, 'nodejs_eventloop_lag_seconds');
  value(s, 'process_resident_memory_bytes');
  value(s, 'nodejs_heap_size_used_bytes');
  await alice.stop();
});

test('troupe_stanzas_in_total{type="message"} grows when alice messages bob', async () => {
  const alice = await login(server, 'alice', 'desk');
  const bob = await login(server, 'bob', 'desk');
  const before = await scrape();
  const inBefore = value(before, 'troupe_stanzas_in_total{type="message"}');
  const outBefore = value(before, 'troupe_stanzas_out_total{type="message"}');
  const routedBefore = value(before, 'troupe_routing_seconds_count');

  for (let i = 0; i < 3; i++) await alice.xmpp.send(xml('message', { to: 'bob@localhost/desk', type: 'chat' }, xml('body', {}, `hi ${i}`)));
  for (let i = 0; i < 3; i++) await bob.next((el) => el.is('message') && el.getChildText('body') === `hi ${i}`);

  // route() ends once the recipient's archive row is written, which may be just after delivery.
  await eventually(async () => value(await scrape(), 'troupe_routing_seconds_count') - routedBefore >= 3, 'each message went through route()');
  const now = await scrape();
  assert.equal(value(now, 'troupe_stanzas_in_total{type="message"}') - inBefore, 3);
  assert.equal(value(now, 'troupe_stanzas_out_total{type="message"}') - outBefore, 3);
  assert.equal(value(now, 'troupe_sessions'), 2);
  await Promise.all([alice.stop(), bob.stop()]);
});

test('troupe_actor_restarts_total counts a crash of router', async () => {
  const crash = await server.ctl(['crash', 'router']);
  assert.equal(crash.code, 0, crash.stderr);
  let restarts = 0;
  for (let i = 0; i < 50 && restarts === 0; i++) {
    restarts = value(await scrape(), 'troupe_actor_restarts_total{actor="router"}');
    if (restarts === 0) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(restarts, 1);
});

test('an unknown path is 404, a wrong method 405', async () => {
  const base = `http://127.0.0.1:${server.ports.http}`;
  assert.equal((await fetch(`${base}/nothing-here`)).status, 404);
  const post = await fetch(`${base}/metrics`, { method: 'POST', body: '' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET');
});
