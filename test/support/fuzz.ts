/**
 * Run parameters of the property tests. `npm test`: a fixed seed and the run count the test
 * names, so a run is fast and repeatable. `npm run fuzz` sets TROUPE_FUZZ_RUNS (runs per
 * property) and, unless TROUPE_FUZZ_SEED pins one, a fresh seed each time; fast-check prints
 * the seed and the shrunk counterexample of a failure, so it can be replayed with
 * TROUPE_FUZZ_SEED.
 */
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
