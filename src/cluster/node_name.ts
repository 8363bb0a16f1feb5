/** A node's default name in the cluster: unique per machine and data dir, the same after a restart. */
import os from 'node:os';
import path from 'node:path';

export function defaultNodeName(dataDir: string): string {
  return `${os.hostname()}:${path.resolve(dataDir)}`;
}
