/** The name and version of this server, from the package.json at the repository root (found from this file, compiled or not). */
import { readFileSync } from 'node:fs';

let cached: { name: string; version: string } | null = null;

export function packageInfo(): { name: string; version: string } {
  if (cached) return cached;
  // src/version/package.ts → ../../; dist/src/version/package.js → ../../../
  for (const up of ['../../', '../../../']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'troupe' && typeof pkg.version === 'string') return (cached = { name: pkg.name, version: pkg.version });
    } catch {
      // not at this level: try the next one up
    }
  }
  return (cached = { name: 'troupe', version: 'unknown' });
}
