/**
 * Who may use the observer (src/http/access.ts): loopback clients, or anyone with the token;
 * never a rebinding Host or another site's Origin without it. Pure, so addresses are forged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopback, mayObserve, presentedToken } from '../../src/http/access.js';
import { crashTarget, RouteTable, type HttpRoute } from '../../src/http/routes.js';

const TOKEN = 'k3Qx-secret-token-from-the-data-dir_0123456789';

test('loopback addresses, as an IPv4 or a dual-stack socket reports them', () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::FFFF:127.0.0.53']) assert.ok(isLoopback(a), a);
  for (const a of ['10.0.0.5', '::ffff:10.0.0.5', '192.168.1.1', '::', '::2', 'fe80::1%lo', '128.0.0.1', 'localhost', '', undefined]) {
    assert.ok(!isLoopback(a), String(a));
  }
});

test('loopback clients may observe without the token; 10.0.0.5 may not', () => {
  for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
    assert.ok(mayObserve({ address, host: 'localhost:5280' }, TOKEN), address);
    assert.ok(mayObserve({ address, host: '127.0.0.1:5280' }, TOKEN), address);
    assert.ok(mayObserve({ address, host: '[::1]:5280' }, TOKEN), address);
  }
  assert.ok(!mayObserve({ address: '10.0.0.5', host: 'troupe.example:5280' }, TOKEN));
  assert.ok(!mayObserve({ address: '10.0.0.5', host: 'localhost:5280' }, TOKEN), 'a Host header proves nothing');
  assert.ok(!mayObserve({ address: '::ffff:10.0.0.5' }, TOKEN));
});

test('the token opens it from anywhere, by header or query; a wrong or empty one does not', () => {
  const remote = { address: '10.0.0.5', host: 'troupe.example:5280' };
  assert.ok(mayObserve({ ...remote, authorization: `Bearer ${TOKEN}` }, TOKEN));
  assert.ok(mayObserve({ ...remote, queryToken: TOKEN }, TOKEN));
  assert.ok(!mayObserve({ ...remote, authorization: `Bearer ${TOKEN}x` }, TOKEN));
  assert.ok(!mayObserve({ ...remote, authorization: `Basic ${TOKEN}` }, TOKEN));
  assert.ok(!mayObserve({ ...remote, queryToken: '' }, TOKEN));
  assert.ok(!mayObserve({ ...remote, queryToken: '' }, ''), 'no token configured opens nothing');
  assert.equal(presentedToken({ address: undefined, authorization: 'bearer abc ' }), 'abc');
});

test('DNS rebinding and cross-site requests are refused even on loopback', () => {
  assert.ok(!mayObserve({ address: '127.0.0.1', host: 'evil.example' }, TOKEN));
  assert.ok(!mayObserve({ address: '127.0.0.1', host: 'localhost:5280', origin: 'http://evil.example' }, TOKEN));
  assert.ok(!mayObserve({ address: '10.0.0.5', host: 'x:1', origin: 'http://evil.example', queryToken: TOKEN }, TOKEN));
  assert.ok(mayObserve({ address: '127.0.0.1', host: 'localhost:5280', origin: 'http://localhost:5280' }, TOKEN));
  assert.ok(mayObserve({ address: '127.0.0.1' }, TOKEN), 'no Host: not a browser (HTTP/1.0)');
});

test('the route table: exact paths, 404, 405 with Allow; HEAD is GET', () => {
  const route = (method: 'GET' | 'POST', path: string): HttpRoute => ({ method, path, access: 'public', handle: () => undefined });
  const table = new RouteTable([route('GET', '/metrics'), route('POST', '/observer/crash')], [{ path: '/ws', access: 'public', upgrade: () => undefined }]);
  assert.ok('route' in table.match('GET', '/metrics'));
  assert.ok('route' in table.match('HEAD', '/metrics'));
  assert.deepEqual(table.match('GET', '/metrics/'), { status: 404 });
  assert.deepEqual(table.match('GET', '/observer/crash'), { status: 405, allow: 'POST' });
  assert.equal(table.matchUpgrade('/ws')?.path, '/ws');
  assert.equal(table.matchUpgrade('/metrics'), undefined);
});

test('a crash target: a name, a pid, or JSON', () => {
  assert.equal(crashTarget('router\n'), 'router');
  assert.equal(crashTarget('<0.42.0>'), '<0.42.0>');
  assert.equal(crashTarget('{"target":"sm"}'), 'sm');
  assert.equal(crashTarget('{"pid":"<0.7.0>"}'), '<0.7.0>');
  assert.equal(crashTarget(''), null);
  assert.equal(crashTarget('{"target":42}'), null);
  assert.equal(crashTarget('{bad json'), null);
});
