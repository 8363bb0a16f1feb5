/**
 * The reload diff (src/config/reload.ts): which keys changed between the running configuration
 * and the file, which of them apply live and which wait for a restart, and how the live ones
 * are copied into the running configuration.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configSchema, type Config } from '../../src/config/schema.js';
import { applyLiveKeys, changedKeys, diffConfig, formatChange, isLive } from '../../src/config/reload.js';

const config = (raw: unknown): Config => configSchema.parse(raw);

test('the same configuration: nothing applied, nothing to restart', () => {
  assert.deepEqual(diffConfig(config({}), config({})), { applied: [], needsRestart: [] });
  assert.deepEqual(diffConfig(config({ hosts: ['a.example'] }), config({ hosts: ['a.example'] })), { applied: [], needsRestart: [] });
});

test('log level, limits, registration, stream management and modules apply live', () => {
  const before = config({});
  const after = config({
    loglevel: 'debug',
    limits: { max_stanza_size: 1000 },
    registration: 'open',
    c2s: { stream_management: { resume_timeout: 60 } },
    modules: { mod_version: false, mod_ping: { send_pings: true } },
  });
  const { applied, needsRestart } = diffConfig(before, after);
  assert.deepEqual(needsRestart, []);
  assert.deepEqual(applied, [
    { key: 'c2s.stream_management.resume_timeout', from: 300, to: 60 },
    { key: 'limits.max_stanza_size', from: 262144, to: 1000 },
    { key: 'loglevel', from: 'info', to: 'debug' },
    { key: 'modules.mod_ping', to: { send_pings: true } },
    { key: 'modules.mod_version', to: false },
    { key: 'registration', from: 'closed', to: 'open' },
  ]);
});

test('hosts, listeners, TLS, auth, data_dir and the shutdown timeout need a restart', () => {
  const before = config({});
  const after = config({
    hosts: ['example.net'],
    data_dir: '/var/lib/troupe',
    listen: { c2s: { port: 5333 }, http: false },
    tls: { cert: 'a.pem', key: 'a.key' },
    auth: { password_format: 'plain' },
    shutdown_timeout_ms: 100,
  });
  const { applied, needsRestart } = diffConfig(before, after);
  assert.deepEqual(applied, []);
  assert.deepEqual(needsRestart.map((c) => c.key), [
    'auth.password_format', 'data_dir', 'hosts', 'listen.c2s.port', 'listen.http', 'shutdown_timeout_ms', 'tls.cert', 'tls.key',
  ]);
  assert.deepEqual(needsRestart.find((c) => c.key === 'listen.http'), { key: 'listen.http', from: { port: 5280, ip: '::', consider_websocket_secure: false }, to: null });
  assert.deepEqual(needsRestart.find((c) => c.key === 'hosts'), { key: 'hosts', from: ['localhost'], to: ['example.net'] });
});

test('a mixed change is split; module options are compared key by key', () => {
  const before = config({ modules: { mod_version: { show_os: false } } });
  const after = config({ listen: { c2s: 5333 }, loglevel: 'warn', modules: { mod_version: { show_os: true } } });
  assert.deepEqual(diffConfig(before, after), {
    applied: [
      { key: 'loglevel', from: 'info', to: 'warn' },
      { key: 'modules.mod_version.show_os', from: false, to: true },
    ],
    needsRestart: [{ key: 'listen.c2s.port', from: 5222, to: 5333 }],
  });
});

test('isLive: a key and what is under it, not a key that merely starts the same', () => {
  assert.ok(isLive('limits'));
  assert.ok(isLive('limits.max_xml_depth'));
  assert.ok(isLive('modules.mod_roster.iqdisc'));
  assert.ok(!isLive('c2s.resource_conflict'));
  assert.ok(!isLive('loglevels'));
  assert.ok(!isLive('listen.c2s.port'));
});

test('changedKeys compares lists whole and tells unset from null', () => {
  assert.deepEqual(changedKeys({ a: [1, 2] }, { a: [1, 2] }), []);
  assert.deepEqual(changedKeys({ a: [1, 2] }, { a: [2, 1] }), [{ key: 'a', from: [1, 2], to: [2, 1] }]);
  assert.deepEqual(changedKeys({ a: null }, {}), [{ key: 'a', from: null }]);
  assert.deepEqual(changedKeys({ a: { b: 1 } }, { a: { b: 1, c: 2 } }), [{ key: 'a.c', to: 2 }]);
});

test('applyLiveKeys copies the live keys in place and keeps the others as they run', () => {
  const running = config({});
  const limits = running.limits;
  const next = config({ hosts: ['example.net'], loglevel: 'error', limits: { max_xml_depth: 8 }, registration: 'open', modules: { mod_ping: false } });
  applyLiveKeys(running, next);
  assert.equal(running.limits, limits, 'the same limits object, updated');
  assert.equal(limits.max_xml_depth, 8);
  assert.equal(running.loglevel, 'error');
  assert.equal(running.registration, 'open');
  assert.deepEqual(running.modules, { mod_ping: false });
  assert.deepEqual(running.hosts, ['localhost'], 'a key needing a restart is not applied');
  assert.deepEqual(diffConfig(running, next).applied, []);
});

test('formatChange', () => {
  assert.equal(formatChange({ key: 'limits.max_stanza_size', from: 262144, to: 1000 }), 'limits.max_stanza_size: 262144 → 1000');
  assert.equal(formatChange({ key: 'modules.mod_version', to: false }), 'modules.mod_version: (unset) → false');
});
