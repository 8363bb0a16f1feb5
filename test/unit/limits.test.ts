/** The pure parts of the limits: ejabberd's token-bucket shaper and the per-address connection count. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Shaper } from '../../src/limits/shaper.js';
import { ConnectionCounter, clientAddress } from '../../src/limits/connections.js';
import { configSchema } from '../../src/config/schema.js';

describe('Shaper', () => {
  it('lets a burst through, then asks for the pause that refills the bucket', () => {
    const s = new Shaper({ rate: 1000, burst_size: 2000 }, 0);
    assert.equal(s.update(2000, 0), 0, 'the burst is free');
    assert.equal(s.update(500, 0), 500, '500 bytes over at 1000 B/s: 0.5 s');
    assert.equal(s.update(0, 500), 0, 'refilled after the pause');
    assert.equal(s.update(1500, 3000), 0, 'idle time refills, up to the burst size');
    assert.equal(s.update(600, 3000), 100, '2000 - 1500 - 600: 100 bytes over');
  });

  it('never stores more than burst_size, however long it was idle', () => {
    const s = new Shaper({ rate: 10, burst_size: 100 }, 0);
    assert.equal(s.update(100, 1e9), 0);
    assert.equal(s.update(10, 1e9), 1000);
  });
});

describe('ConnectionCounter', () => {
  it('counts per address up to the limit; a close frees a place; 0 is no limit', () => {
    const c = new ConnectionCounter();
    assert.ok(c.tryOpen('192.0.2.1', 2) && c.tryOpen('192.0.2.1', 2));
    assert.ok(!c.tryOpen('192.0.2.1', 2), 'the third is refused');
    assert.ok(c.tryOpen('192.0.2.2', 2), 'another address is not');
    c.close('192.0.2.1');
    assert.ok(c.tryOpen('192.0.2.1', 2));
    for (let i = 0; i < 100; i++) assert.ok(c.tryOpen('198.51.100.1', 0));
    for (let i = 0; i < 100; i++) c.close('198.51.100.1');
    assert.equal(c.count('198.51.100.1'), 0);
  });

  it('an IPv4 client seen through a dual-stack socket is its IPv4 address', () => {
    assert.equal(clientAddress('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(clientAddress('2001:db8::1'), '2001:db8::1');
    assert.equal(clientAddress(undefined), 'unknown');
  });
});

describe('config: shaper and limits', () => {
  it('a shaper is a rate or {rate, burst_size}; limits.c2s_shaper must name one, or none', () => {
    const ok = configSchema.parse({ shaper: { slow: 500, steady: { rate: 100, burst_size: 900 } }, limits: { c2s_shaper: 'slow' } });
    assert.deepEqual(ok.shaper, { slow: { rate: 500, burst_size: 500 }, steady: { rate: 100, burst_size: 900 } });
    assert.equal(configSchema.parse({ limits: { c2s_shaper: 'none' } }).limits.c2s_shaper, 'none');
    const bad = configSchema.safeParse({ limits: { c2s_shaper: 'warp' } });
    assert.ok(!bad.success);
    assert.deepEqual(bad.error.issues[0]?.path, ['limits', 'c2s_shaper']);
  });
});
