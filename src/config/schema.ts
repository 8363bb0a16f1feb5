// troupe.yml: the schema, with the embedded defaults (ARCHITECTURE.md §8).
// Keys are snake_case like ejabberd.yml; every object is strict, so a typo is an error.
import { z } from 'zod';

const expected = (what: string, got: unknown) => `expected ${what}, got ${JSON.stringify(got)}`;
const port = z.number().int().min(0).max(65535); // 0 = ephemeral (tests)

/**
 * A listener: an object, a bare port number, or `false` (disabled: `null`). An empty value
 * (YAML null) means the defaults, like an empty module entry.
 */
function listener<T extends z.ZodRawShape>(defaultPort: number, extra: T) {
  const options = z.strictObject(
    { port: port.default(defaultPort), ip: z.string().min(1).default('::'), ...extra },
    {
      error: (iss) =>
        iss.code === 'invalid_type' ? expected('a port number, an object or false', iss.input) : undefined,
    },
  );
  const shorthand = (v: unknown) => (v === null ? {} : v === false ? null : typeof v === 'number' ? { port: v } : v);
  return z.preprocess(shorthand, options.nullable()).prefault({});
}

// RFC 1123 labels (Unicode letters allowed for IDNs), at most 253 characters.
const label = '[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?';
const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(new RegExp(`^(?=.{1,253}$)${label}(?:\\.${label})*$`, 'u'), {
    error: (iss) => expected('a domain name', iss.input),
  });

const pemPath = z.string().min(1).nullable().default(null);

/** ejabberd's shaper: bytes per second, or `{rate, burst_size}` (a bare rate bursts one second's worth). */
const shaperSpec = z.preprocess(
  (v) => (typeof v === 'number' ? { rate: v } : v),
  z
    .strictObject({ rate: z.number().int().positive(), burst_size: z.number().int().positive().optional() })
    .transform(({ rate, burst_size }) => ({ rate, burst_size: burst_size ?? rate })),
);

export const configSchema = z.strictObject({
  hosts: z
    .array(domain)
    .min(1)
    .refine((hs) => new Set(hs).size === hs.length, { error: 'hosts must not repeat' })
    .default(['localhost']),
  data_dir: z.string().min(1).default('./data'),
  // Module storage and accounts (issue #9): embedded LevelDB in data_dir, or a PostgreSQL
  // database that several nodes share (postgres_url: a libpq URL, e.g. postgresql://u:p@host/db).
  storage: z.enum(['leveldb', 'postgres']).default('leveldb'),
  postgres_url: z.string().min(1).nullable().default(null),
  loglevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  listen: z
    .strictObject({
      c2s: listener(5222, {
        starttls: z.enum(['required', 'optional']).default('required'),
        allow_plain_auth_without_tls: z.boolean().default(false),
      }),
      c2s_tls: listener(5223, {}),
      // Prosody's option: true when a reverse proxy terminates TLS in front of /ws, so the
      // WebSocket counts as encrypted (PLAIN is offered); never set it for a public ws://.
      http: listener(5280, { consider_websocket_secure: z.boolean().default(false) }),
    })
    .prefault({}),
  tls: z
    .strictObject({ cert: pemPath, key: pemPath })
    .refine((t) => (t.cert === null) === (t.key === null), {
      error: 'cert and key must be given together (or neither, for a generated self-signed certificate)',
    })
    .prefault({}),
  auth: z
    .strictObject({
      password_format: z.enum(['scram', 'plain']).default('scram'),
      scram_iterations: z.number().int().min(4096).default(4096),
    })
    .prefault({}),
  registration: z.enum(['open', 'closed']).default('closed'),
  limits: z
    .strictObject({
      max_stanza_size: z.number().int().positive().default(262144),
      max_xml_depth: z.number().int().positive().default(32),
      max_auth_failures: z.number().int().positive().default(5),
      auth_timeout_s: z.number().positive().default(30),
      // The shaper (a name under `shaper:`, or none) each client connection reads through.
      c2s_shaper: z.string().min(1).default('fast'),
      // 0 = unlimited; past it a new connection gets policy-violation before any c2s starts.
      max_connections_per_ip: z.number().int().nonnegative().default(1000),
      // ejabberd's max_user_sessions; past it a bind gets resource-constraint (RFC 6120 §7.6.2.1).
      max_user_sessions: z.number().int().positive().default(10),
    })
    .prefault({}),
  // ejabberd's `shaper:`: named traffic shapers (the values of its ejabberd.yml.example).
  shaper: z.record(z.string().min(1), shaperSpec).default({ normal: { rate: 3000, burst_size: 20000 }, fast: { rate: 100000, burst_size: 100000 } }),
  c2s: z
    .strictObject({
      resource_conflict: z.enum(['replace']).default('replace'),
      // XEP-0198 (ejabberd's mod_stream_mgmt names): how long a dropped session waits for
      // a resume, and how many unacknowledged stanzas it may hold.
      stream_management: z
        .strictObject({
          enabled: z.boolean().default(true),
          resume_timeout: z.number().int().nonnegative().default(300),
          max_ack_queue: z.number().int().positive().default(5000),
        })
        .prefault({}),
    })
    .prefault({}),
  // Issue #9: several nodes share sessions through Redis. Absent (null): one node, in memory.
  cluster: z
    .strictObject({
      redis_url: z.string().regex(/^rediss?:\/\//, { error: (iss) => expected('a redis:// or rediss:// URL', iss.input) }),
      // Unique per node; default: host name and data dir, stable across restarts.
      node_name: z.string().min(1).optional(),
      // A node silent this long is dead: the others remove its sessions.
      liveness_ttl_s: z.number().positive().default(5),
    })
    .nullable()
    .default(null),
  shutdown_timeout_ms: z.number().int().nonnegative().default(5000),
  // Each module validates its own options; `mod_x:` with no value (YAML null) means {}.
  modules: z
    .record(
      z.string().min(1),
      z.preprocess(
        (v) => (v === null ? {} : v),
        z.union([z.record(z.string(), z.unknown()), z.literal(false)], {
          error: (iss) => expected('an options object or false', iss.input),
        }),
      ),
    )
    .default({}),
}).superRefine((c, ctx) => {
  if (c.storage === 'postgres' && c.postgres_url === null) {
    ctx.addIssue({ code: 'custom', path: ['postgres_url'], message: 'storage: postgres needs postgres_url (e.g. postgresql://troupe:secret@localhost/troupe)' });
  }
  const name = c.limits.c2s_shaper;
  if (name !== 'none' && !Object.hasOwn(c.shaper, name)) {
    ctx.addIssue({ code: 'custom', path: ['limits', 'c2s_shaper'], message: `no shaper named '${name}' under shaper: (or none)` });
  }
});

/** The validated configuration; disabled listeners are `null`. */
export type Config = z.infer<typeof configSchema>;
export type ListenerConfig = NonNullable<Config['listen'][keyof Config['listen']]>;
