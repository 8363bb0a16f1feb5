// The comparison table: from the kit's summary rows of each server (one list per repetition) to
// "metric | troupe | ejabberd | troupe/ejabberd" (with troupe-core: a ratio to each), as aligned text
// for the terminal and as markdown.
import { errorCount, type Summary } from './kit.js';
import type { Options, ServerName } from './options.js';

interface Metric {
  name: string;
  /** which way is better: shown as ↑ / ↓ after the name */
  better?: 'higher' | 'lower';
  value(r: Summary, o: Options): number | undefined;
}

export interface Line {
  /** a section title (no values) or a metric */
  title?: string;
  metric?: string;
  /** per server: the median over repetitions and each repetition's value */
  values: Map<ServerName, { median: number; runs: number[] }>;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const key = (k: string, name: string, better?: Metric['better']): Metric => ({ name, better, value: (r) => num(r[k]) });
const errors: Metric = { name: 'errors', better: 'lower', value: (r) => errorCount(r) };
const launched = key('users_launched', 'users Tsung launched');

const ACCOUNTS: Metric[] = [
  key('registered', 'registered'),
  key('reg_ms_p50', 'registration p50 ms', 'lower'),
  key('reg_ms_p99', 'registration p99 ms', 'lower'),
  // with IBR the kit's step lasts a fixed ~10 s longer than the registrations: only troupectl's counts
  { name: 'seconds for all accounts (troupectl)', better: 'lower', value: (r) => (r.method === 'command' ? num(r.secs) : undefined) },
  errors,
];

const LOGIN: Metric[] = [
  launched,
  key('logins_ok', 'logins ok', 'higher'),
  key('logins_per_s', 'logins/s (1 s buckets, crude)', 'higher'),
  {
    name: 'logins/s lower bound: ok / (arrival span + max login)',
    better: 'higher',
    value: (r, o) => {
      const ok = num(r.logins_ok), max = num(r.login_ms_max);
      return ok === undefined || max === undefined ? undefined : ok / (o.users / o.loginRate + max / 1000);
    },
  },
  key('login_ms_p50', 'login p50 ms', 'lower'),
  key('login_ms_p99', 'login p99 ms', 'lower'),
  errors,
  key('kb_per_session', 'RSS KB per idle session (delta)', 'lower'),
  key('rss_before_mb', 'RSS MB before the storm', 'lower'),
  key('rss_connected_mb', 'RSS MB, all connected', 'lower'),
  key('idle_cpu_pct', 'idle CPU % (100 = one core)', 'lower'),
];

const CHAT: Metric[] = [
  launched,
  key('delivered_per_s_median', 'delivered msgs/s (median second)', 'higher'),
  {
    name: 'delivered % of sent',
    better: 'higher',
    // the kit's `sent` assumes every user was launched
    value: (r) => {
      const launched = num(r.users_launched), users = num(r.users), sent = num(r.sent);
      return pctOf(num(r.delivered), sent !== undefined && launched !== undefined && users ? (sent * launched) / users : sent);
    },
  },
  key('lat_ms_p50', 'latency p50 ms', 'lower'),
  key('lat_ms_p99', 'latency p99 ms', 'lower'),
  key('server_cpu_pct', 'server CPU %', 'lower'),
  errors,
];

const ROSTER: Metric[] = [
  launched,
  key('roster_writes_per_s_median', 'roster writes/s (median second)', 'higher'),
  key('set_ms_p50', 'set p50 ms', 'lower'),
  key('set_ms_p99', 'set p99 ms', 'lower'),
  key('remove_ms_p99', 'remove p99 ms', 'lower'),
  key('server_cpu_pct', 'server CPU %', 'lower'),
  errors,
];

const MUC: Metric[] = [
  launched,
  key('joined', 'occupants joined', 'higher'),
  key('fanout_pct', 'fan-out: deliveries % of sent × occupants', 'higher'),
  key('deliveries_per_s_median', 'deliveries/s (median second)', 'higher'),
  key('received_mb', 'MB received by the occupants (all stanzas)'),
  key('join_ms_p99', 'join p99 ms', 'lower'),
  key('lat_ms_p50', 'fan-out latency p50 ms', 'lower'),
  key('lat_ms_p99', 'fan-out latency p99 ms', 'lower'),
  key('server_cpu_pct', 'server CPU %', 'lower'),
  errors,
];

function section(scenario: string, o: Options): { title: string; metrics: Metric[] } | undefined {
  if (scenario.startsWith('accounts')) return { title: `accounts: ${o.users} users`, metrics: ACCOUNTS };
  if (scenario === 'login') return { title: `login storm: ${o.users} users at ${o.loginRate}/s, no TLS`, metrics: LOGIN };
  if (scenario === 'login_tls') return { title: `login storm: ${o.users} users at ${o.loginRate}/s, STARTTLS`, metrics: LOGIN };
  const chat = /^chat_(\d+)$/.exec(scenario);
  if (chat) return { title: `chat: ${o.chatUsers} users, ${chat[1]} msgs/s offered, ${o.chatS} s`, metrics: CHAT };
  if (scenario === 'roster') return { title: `roster writes: ${o.rosterUsers} users, closed loop, ${o.rosterS} s`, metrics: ROSTER };
  const muc = /^muc_(\d+)$/.exec(scenario);
  if (muc) return { title: `MUC: one room of ${muc[1]} occupants, ${o.mucRate} groupchat msgs/s offered, ${o.mucS} s${o.mucArchive ? '' : ", Troupe's room without archive"}`, metrics: MUC };
  return undefined;
}

/** `reps.get(server)[i]` = all summary rows of repetition i for that server. */
export function buildLines(reps: Map<ServerName, Summary[][]>, o: Options): Line[] {
  const scenarios: string[] = [];
  for (const runs of reps.values()) for (const rows of runs) for (const r of rows) {
    if (!scenarios.includes(r.scenario)) scenarios.push(r.scenario);
  }
  const lines: Line[] = [];
  for (const scenario of scenarios) {
    const sec = section(scenario, o);
    if (!sec) continue;
    lines.push({ title: sec.title, values: new Map() });
    for (const m of sec.metrics) {
      const values: Line['values'] = new Map();
      for (const [server, runs] of reps) {
        const vs = runs.flatMap((rows) => rows.filter((r) => r.scenario === scenario).map((r) => m.value(r, o)))
          .filter((v): v is number => v !== undefined);
        if (vs.length) values.set(server, { median: median(vs), runs: vs });
      }
      if (values.size) lines.push({ metric: `${m.name}${m.better === 'higher' ? ' ↑' : m.better === 'lower' ? ' ↓' : ''}`, values });
    }
  }
  return lines;
}

/**
 * Per server and scenario: the error kinds (Tsung's names: match_stop = aborted login, …), and
 * runs where Tsung launched fewer users than asked (its launcher starved of CPU).
 */
export function runNotes(reps: Map<ServerName, Summary[][]>): string[] {
  const notes: string[] = [];
  for (const [server, runs] of reps) runs.forEach((rows, i) => {
    for (const r of rows) {
      const where = `${server} run ${i + 1}, ${r.scenario}`;
      if (errorCount(r)) notes.push(`${where}: errors ${JSON.stringify(r.errors)}`);
      const asked = num(r.users) ?? num(r.registered);
      const got = num(r.users_launched);
      if (asked !== undefined && got !== undefined && got < asked) {
        notes.push(`${where}: Tsung launched only ${got} of ${asked} users (its launcher fell behind, the machine ` +
          `was busy): the figures cover those users${r.scenario.startsWith('login') ? ', and there is no idle window' : ''}`);
      }
    }
  });
  return notes;
}

function cells(l: Line, servers: ServerName[]): string[] {
  const fmt = (server: ServerName) => {
    const v = l.values.get(server);
    if (!v) return '-';
    return v.runs.length > 1 ? `${show(v.median)} (${v.runs.map(show).join(', ')})` : show(v.median);
  };
  const [a, ...others] = servers.map((s) => l.values.get(s)?.median);
  const ratios = others.map((b) => (a !== undefined && b !== undefined && b !== 0 ? (a / b).toFixed(2) : '-'));
  return [l.metric!, ...servers.map(fmt), ...ratios];
}

/** The servers' columns, then the first server's ratio to each of the others. */
function header(servers: ServerName[]): string[] {
  const [first, ...others] = servers;
  return ['metric', ...servers, ...others.map((s) => `${first}/${s}`)];
}

export function renderText(lines: Line[], servers: ServerName[]): string {
  const rows = lines.map((l) => (l.title ? [l.title] : cells(l, servers).map((c, i) => (i === 0 ? `  ${c}` : c))));
  const head = header(servers);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.filter((r) => r.length > 1).map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[0]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(head), ...rows.map((r) => (r.length === 1 ? r[0]! : fmt(r)))].join('\n');
}

export function renderMarkdown(lines: Line[], servers: ServerName[]): string {
  const head = header(servers);
  const out = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '--:')).join('|')}|`];
  for (const l of lines) {
    out.push(l.title ? `| **${l.title}** |${' |'.repeat(head.length - 1)}` : `| ${cells(l, servers).join(' | ')} |`);
  }
  return out.join('\n');
}

function show(v: number): string {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1);
}

function pctOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || !b ? undefined : (100 * a) / b;
}

function median(v: number[]): number {
  const s = [...v].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
