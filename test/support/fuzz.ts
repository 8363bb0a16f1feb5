/**
 * Property tests: their run parameters and the XML grammar they share. `npm test`: a fixed seed and the run count the test
 * names, so a run is fast and repeatable. `npm run fuzz` sets TROUPE_FUZZ_RUNS (runs per
 * property) and, unless TROUPE_FUZZ_SEED pins one, a fresh seed each time; fast-check prints
 * the seed and the shrunk counterexample of a failure, so it can be replayed with
 * TROUPE_FUZZ_SEED.
 */
import fc from 'fast-check';

const runs = Number(process.env.TROUPE_FUZZ_RUNS) || undefined;
const seed = Number(process.env.TROUPE_FUZZ_SEED) || (runs ? Date.now() % 2 ** 31 : 42);

/** `{ seed, numRuns }` for fc.assert: `numRuns` in `npm test`, TROUPE_FUZZ_RUNS under `npm run fuzz`. */
export function fuzzParams(numRuns: number): { seed: number; numRuns: number } {
  return { seed, numRuns: runs ?? numRuns };
}

/** Scales a count (e.g. of e2e connections) the way TROUPE_FUZZ_RUNS scales the unit runs. */
export function fuzzCount(count: number): number {
  return runs ? Math.max(count, Math.round(runs / 50)) : count;
}

// An XMPP-ish XML grammar: stanza and payload names, hostile attribute values and text
// (entities good and bad, CDATA ends, markup characters, control characters).
const names = fc.constantFrom('message', 'presence', 'iq', 'body', 'query', 'item', 'x', 'stream:features', 'auth', 'a', 'b:c', 'é');
const attrNames = fc.constantFrom('to', 'from', 'id', 'type', 'xmlns', 'xmlns:b', 'xml:lang', 'jid', 'ver');
const texty = fc.constantFrom('hi', ' ', '&amp;', '&lt;', '&#x1F600;', '&foo;', '&#0;', 'é😀', ']]>', '<', '>', '"', "'", '\u0001', 'a@b/c');
const text = fc.array(texty, { maxLength: 4 }).map((a) => a.join(''));
const attr = fc.tuple(attrNames, text, fc.constantFrom("'", '"')).map(([k, v, q]) => ` ${k}=${q}${v}${q}`);

/** An element as text, nested a few levels (well-formed unless its text or attributes hold markup). */
export const xmlElement: fc.Arbitrary<string> = fc.letrec<{ el: string }>((tie) => ({
  el: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(names, fc.array(attr, { maxLength: 3 })).map(([n, as]) => `<${n}${as.join('')}/>`),
    fc.tuple(names, fc.array(attr, { maxLength: 3 }), fc.array(fc.oneof(text, tie('el'), text.map((t) => `<![CDATA[${t}]]>`)), { maxLength: 3 }))
      .map(([n, as, kids]) => `<${n}${as.join('')}>${kids.join('')}</${n}>`),
  ),
})).el;

/** `input` with a few bytes deleted, inserted or overwritten at random places. */
export const mutateBytes = (input: fc.Arbitrary<string>): fc.Arbitrary<Buffer> =>
  fc.tuple(input, fc.array(fc.tuple(fc.nat(), fc.nat(12), fc.uint8Array({ maxLength: 6 })), { maxLength: 4 })).map(([s, edits]) => {
    let b = Buffer.from(s);
    for (const [at, del, ins] of edits) {
      const i = at % (b.length + 1);
      b = Buffer.concat([b.subarray(0, i), Buffer.from(ins), b.subarray(Math.min(b.length, i + del))]);
    }
    return b;
  });
