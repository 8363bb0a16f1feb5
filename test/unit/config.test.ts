import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { EXAMPLE_CONFIG } from '../../src/config/example.js';
import { ConfigError, loadConfig, resolveConfigPath } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';

const dir = mkdtempSync(path.join(tmpdir(), 'troupe-config-'));

/** Writes `text` to `<tmp>/troupe.yml` and loads it. */
function load(text: string) {
  const file = path.join(dir, 'troupe.yml');
  writeFileSync(file, text);
  return loadConfig(file);
}

/** The problem lines of a failing load, without the file name. */
function problems(text: string): string[] {
  try {
    load(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems.map((p) => p.replace(/^.*troupe\.yml: /, ''));
  }
  assert.fail('expected a ConfigError');
}

test('no file gives the defaults, data_dir resolved against the working directory', () => {
  const c = loadConfig();
  assert.deepEqual(c.hosts, ['localhost']);
  assert.equal(c.data_dir, path.resolve('data'));
  assert.deepEqual(c.listen, {
    c2s: { port: 5222, ip: '::', starttls: 'required', allow_plain_auth_without_tls: false },
    c2s_tls: { port: 5223, ip: '::' },
    http: { port: 5280, ip: '::', consider_websocket_secure: false },
  });
  assert.deepEqual(c.tls, { cert: null, key: null });
  assert.equal(c.auth.scram_iterations, 4096);
  assert.equal(c.registration, 'closed');
  assert.equal(c.limits.max_stanza_size, 262144);
  assert.equal(c.c2s.resource_conflict, 'replace');
  assert.deepEqual(c.c2s.stream_management, { enabled: true, resume_timeout: 300, max_ack_queue: 5000 });
  assert.deepEqual(c.modules, {});
});

test('an empty file gives the defaults; paths resolve against the file', () => {
  const c = load('');
  assert.deepEqual({ ...c, data_dir: 'x' }, { ...loadConfig(), data_dir: 'x' });
  assert.equal(c.data_dir, path.join(dir, 'data'));
  assert.deepEqual(load('tls: { cert: c.pem, key: /k.pem }').tls, { cert: path.join(dir, 'c.pem'), key: '/k.pem' });
});

test('EXAMPLE_CONFIG parses to exactly the defaults', () => {
  assert.deepEqual(configSchema.parse(YAML.parse(EXAMPLE_CONFIG)), configSchema.parse({}));
});

test('hosts are lowercased, and must be domain names', () => {
  assert.deepEqual(load('hosts: [Example.COM, conference.example.com]').hosts, ['example.com', 'conference.example.com']);
  assert.deepEqual(problems('hosts: []'), ['hosts: expected at least 1 item(s)']);
  assert.deepEqual(problems('hosts: ["bad host"]'), ['hosts[0]: expected a domain name, got "bad host"']);
});

test('a listener may be a bare port number, or false to disable it', () => {
  const c = load('listen: { c2s: 5333, c2s_tls: false, http: 0 }');
  assert.deepEqual(c.listen.c2s, { port: 5333, ip: '::', starttls: 'required', allow_plain_auth_without_tls: false });
  assert.equal(c.listen.c2s_tls, null);
  assert.deepEqual(c.listen.http, { port: 0, ip: '::', consider_websocket_secure: false });
  assert.deepEqual(load('listen: { http: }').listen.http, { port: 5280, ip: '::', consider_websocket_secure: false });
});

test('ports are 0..65535', () => {
  assert.equal(load('listen: { c2s: { port: 65535 } }').listen.c2s?.port, 65535);
  assert.deepEqual(problems('listen: { c2s: { port: 70000 } }'), ['listen.c2s.port: expected <= 65535, got 70000']);
  assert.deepEqual(problems('listen: { http: 70000 }'), ['listen.http.port: expected <= 65535, got 70000']);
  assert.deepEqual(problems('listen: { c2s: { port: abc } }'), ['listen.c2s.port: expected number, got "abc"']);
  assert.deepEqual(problems('listen: { c2s: abc }'), [
    'listen.c2s: expected a port number, an object or false, got "abc"',
  ]);
});

test('unknown keys are rejected at the top level and nested', () => {
  assert.deepEqual(problems('hostz: [localhost]'), ['unknown key "hostz"']);
  assert.deepEqual(problems('listen: { c2s: { starttls: optional, portz: 1 } }'), ['listen.c2s: unknown key "portz"']);
  assert.deepEqual(problems('limits: { max_depth: 3 }'), ['limits: unknown key "max_depth"']);
});

test('a bad enum names the key, the choices and the value', () => {
  assert.deepEqual(problems('listen: { c2s: { starttls: maybe } }'), [
    'listen.c2s.starttls: expected one of required|optional, got "maybe"',
  ]);
  assert.deepEqual(problems('auth: { scram_iterations: 1000 }'), ['auth.scram_iterations: expected >= 4096, got 1000']);
});

test('every problem is reported, one line each, prefixed by the file', () => {
  assert.throws(
    () => load('registration: maybe\nloglevel: loud\n'),
    (err: Error) => {
      const lines = err.message.split('\n');
      assert.equal(lines.length, 2);
      assert.ok(lines.every((l) => l.startsWith(path.join(dir, 'troupe.yml') + ': ')));
      return true;
    },
  );
});

test('tls cert and key come together', () => {
  assert.match(problems('tls: { cert: /c.pem }')[0]!, /^tls: cert and key must be given together/);
  assert.match(problems('tls: { key: /k.pem }')[0]!, /^tls: cert and key must be given together/);
});

test('storage: leveldb by default; postgres needs postgres_url', () => {
  assert.equal(configSchema.parse({}).storage, 'leveldb');
  assert.match(problems('storage: postgres')[0]!, /^postgres_url: storage: postgres needs postgres_url/);
  assert.match(problems('storage: mysql')[0]!, /^storage: /);
  assert.equal(load('storage: postgres\npostgres_url: postgresql://troupe@db/troupe').postgres_url, 'postgresql://troupe@db/troupe');
});

test('modules: options objects, false, or empty', () => {
  assert.deepEqual(load('modules: { mod_ping: {}, mod_roster: { versioning: true }, mod_vcard: false, mod_disco: }').modules, {
    mod_ping: {},
    mod_roster: { versioning: true },
    mod_vcard: false,
    mod_disco: {},
  });
  assert.deepEqual(problems('modules: { mod_ping: 3 }'), ['modules.mod_ping: expected an options object or false, got 3']);
});

test('a YAML syntax error names the line', () => {
  const [line, ...rest] = problems('hosts: [localhost]\nlisten:\n  c2s: port: 5222\nloglevel: info\n');
  assert.equal(rest.length, 0);
  assert.match(line!, /^line 3, column \d+: \S/);
});

test('a missing file is a ConfigError naming it', () => {
  assert.throws(() => loadConfig(path.join(dir, 'nope.yml')), (err: Error) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /nope\.yml: cannot read: ENOENT/);
    return true;
  });
});

test('resolveConfigPath: --config FILE, --config=FILE, then TROUPE_CONFIG, then ./troupe.yml', () => {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    assert.equal(resolveConfigPath(['--config', 'a.yml'], { TROUPE_CONFIG: 'b.yml' }), 'a.yml');
    assert.equal(resolveConfigPath(['start', '--config=a.yml'], { TROUPE_CONFIG: 'b.yml' }), 'a.yml');
    assert.equal(resolveConfigPath([], { TROUPE_CONFIG: 'b.yml' }), 'b.yml');
    writeFileSync('troupe.yml', '');
    assert.equal(resolveConfigPath([], {}), 'troupe.yml');
    process.chdir(mkdtempSync(path.join(tmpdir(), 'troupe-empty-')));
    assert.equal(resolveConfigPath([], {}), undefined);
    assert.throws(() => resolveConfigPath(['--config'], {}), ConfigError);
    assert.throws(() => resolveConfigPath(['--config='], {}), ConfigError);
  } finally {
    process.chdir(cwd);
  }
});
