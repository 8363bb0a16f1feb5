/**
 * XEP-0059 as XEP-0313 §4.3 pages an archive: the request's <set/> parsed (bad values are
 * bad-request), pages forwards and backwards with `complete` in the direction of paging, and
 * the answer's <set/>.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'ltx';
import fc from 'fast-check';
import { isStanzaError } from '../../src/stanza/error.js';
import { page, parseRsm, rsmSet, type RsmRequest } from '../../src/mam/rsm.js';

const set = (inner: string) => parse(`<set xmlns='http://jabber.org/protocol/rsm'>${inner}</set>`);
const ids = Array.from({ length: 12 }, (_, i) => `${String(1_700_000_000_000_000 + i * 10).padStart(16, '0')}aaaaaa`);
const at = (i: number) => ids[i] as string;

test('parseRsm: max, after, before (empty = last page), index', () => {
  assert.deepEqual(parseRsm(undefined), {});
  assert.deepEqual(parseRsm(set('<max>10</max>')), { max: 10 });
  assert.deepEqual(parseRsm(set('<max>0</max><after>abc</after>')), { max: 0, after: 'abc' });
  assert.deepEqual(parseRsm(set('<max>5</max><before/>')), { max: 5, before: '' });
  assert.deepEqual(parseRsm(set('<before>x</before>')), { before: 'x' });
  assert.deepEqual(parseRsm(set('<index>3</index>')), { index: 3 });
});

test('parseRsm: a negative, fractional or non-numeric max, an empty <after/>, two positions → bad-request', () => {
  for (const inner of ['<max>-1</max>', '<max>ten</max>', '<max>1.5</max>', '<max></max>', '<max>99999999999</max>', '<index>-2</index>', '<after/>', '<after>a</after><before>b</before>', '<index>1</index><after>a</after>']) {
    const r = parseRsm(set(inner));
    assert.ok(isStanzaError(r), inner);
    assert.equal(r.condition, 'bad-request', inner);
  }
});

test('page: forwards from the start, then after the last id, until complete', () => {
  const p1 = page(ids, { max: 5 }, 50);
  assert.deepEqual(p1, { ids: ids.slice(0, 5), firstIndex: 0, count: 12, complete: false });
  const p2 = page(ids, { max: 5, after: at(4) }, 50);
  assert.deepEqual(p2, { ids: ids.slice(5, 10), firstIndex: 5, count: 12, complete: false });
  const p3 = page(ids, { max: 5, after: at(9) }, 50);
  assert.deepEqual(p3, { ids: ids.slice(10), firstIndex: 10, count: 12, complete: true });
});

test('page: backwards from the end (<before/>), then before the first id, until complete', () => {
  assert.deepEqual(page(ids, { max: 5, before: '' }, 50), { ids: ids.slice(7), firstIndex: 7, count: 12, complete: false });
  assert.deepEqual(page(ids, { max: 5, before: at(7) }, 50), { ids: ids.slice(2, 7), firstIndex: 2, count: 12, complete: false });
  assert.deepEqual(page(ids, { max: 5, before: at(2) }, 50), { ids: ids.slice(0, 2), firstIndex: 0, count: 12, complete: true });
});

test('page: the server limit caps max; max 0 is the count alone; ids between stored ones are positions', () => {
  assert.equal(page(ids, {}, 4).ids.length, 4);
  assert.equal(page(ids, { max: 100 }, 4).ids.length, 4);
  assert.deepEqual(page(ids, { max: 0 }, 50), { ids: [], firstIndex: 0, count: 12, complete: false });
  assert.deepEqual(page([], {}, 50), { ids: [], firstIndex: 0, count: 0, complete: true });
  const between = `${at(3).slice(0, 15)}5zzzzzz`; // after at(3), before at(4)
  assert.deepEqual(page(ids, { max: 2, after: between }, 50).ids, [at(4), at(5)]);
  assert.deepEqual(page(ids, { max: 2, before: between }, 50).ids, [at(2), at(3)]);
});

test('page (property): walking forwards with after, or backwards with before, yields every id once, in order', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 7 }), fc.boolean(), (n, max, backwards) => {
      const all = ids.concat(ids.map((id) => id.replace('aaaaaa', 'bbbbbb'))).sort().slice(0, Math.min(n, 24));
      const seen: string[][] = [];
      let rsm: RsmRequest = backwards ? { max, before: '' } : { max };
      for (let guard = 0; guard < 50; guard++) {
        const p = page(all, rsm, 50);
        seen.push(p.ids);
        if (p.complete) break;
        rsm = backwards ? { max, before: p.ids[0] as string } : { max, after: p.ids[p.ids.length - 1] as string };
      }
      const flat = (backwards ? seen.reverse() : seen).flat();
      assert.deepEqual(flat, all);
    }),
  );
});

test('rsmSet: first with its index, last, count; only the count for an empty page', () => {
  const full = rsmSet({ ids: [at(2), at(3)], firstIndex: 2, count: 12, complete: false });
  assert.equal(full.getChild('first')?.attrs.index, '2');
  assert.equal(full.getChildText('first'), at(2));
  assert.equal(full.getChildText('last'), at(3));
  assert.equal(full.getChildText('count'), '12');
  const empty = rsmSet({ ids: [], firstIndex: 0, count: 0, complete: true });
  assert.equal(empty.getChild('first'), undefined);
  assert.equal(empty.getChildText('count'), '0');
});
