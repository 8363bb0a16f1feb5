// Loading troupe.yml: find it, parse the YAML, validate against the schema, and report every
// problem on its own line, naming the key (ARCHITECTURE.md §8).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

/** A bad or unreadable configuration; `message` holds one line per problem. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/**
 * The config file to use: `--config FILE`, `--config=FILE`, then `$TROUPE_CONFIG`, then
 * `./troupe.yml` if it exists; `undefined` means the embedded defaults.
 */
export function resolveConfigPath(argv: string[], env: NodeJS.ProcessEnv): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg !== '--config' && !arg.startsWith('--config=')) continue;
    const value = arg === '--config' ? argv[i + 1] : arg.slice('--config='.length);
    if (!value) throw new ConfigError(['--config needs a file name']);
    return value;
  }
  if (env.TROUPE_CONFIG) return env.TROUPE_CONFIG;
  return existsSync('troupe.yml') ? 'troupe.yml' : undefined;
}

/**
 * Reads and validates `file` (no file: the defaults). Relative `data_dir` and `tls` paths are
 * resolved against the file's directory (or the working directory). Throws {@link ConfigError}.
 */
export function loadConfig(file?: string): Config {
  const raw = file === undefined ? {} : readYaml(file);
  const result = configSchema.safeParse(raw ?? {}, { reportInput: true, error: describeIssue });
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((iss) => `${file}: ${formatPath(iss.path)}${iss.message}`));
  }
  const base = file === undefined ? process.cwd() : path.dirname(path.resolve(file));
  const config = result.data;
  const resolve = (p: string | null) => (p === null ? null : path.resolve(base, p));
  return {
    ...config,
    data_dir: path.resolve(base, config.data_dir),
    tls: { cert: resolve(config.tls.cert), key: resolve(config.tls.key) },
  };
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  const doc = YAML.parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const where = e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ` : '';
        return `${file}: ${where}${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
      }),
    );
  }
  return doc.toJS();
}

function formatPath(p: PropertyKey[]): string {
  if (p.length === 0) return '';
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i > 0 ? '.' : ''}${String(k)}`)).join('') + ': ';
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object' && v !== null) return 'a mapping';
  return JSON.stringify(v);
}

/** Messages for zod's built-in issues, in the words of a config file rather than of types. */
function describeIssue(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'unrecognized_keys':
      return iss.keys.map((k) => `unknown key ${JSON.stringify(k)}`).join(', ');
    case 'invalid_value':
      return `expected one of ${iss.values.map((v) => String(v)).join('|')}, got ${show(iss.input)}`;
    case 'invalid_type':
      return `expected ${iss.expected === 'int' ? 'an integer' : iss.expected}, got ${show(iss.input)}`;
    case 'too_small':
      if (iss.origin === 'array') return `expected at least ${iss.minimum} item(s)`;
      if (iss.origin === 'string') return 'must not be empty';
      return `expected ${iss.inclusive ? '>=' : '>'} ${iss.minimum}, got ${show(iss.input)}`;
    case 'too_big':
      return `expected ${iss.inclusive ? '<=' : '<'} ${iss.maximum}, got ${show(iss.input)}`;
    default:
      return undefined;
  }
}
