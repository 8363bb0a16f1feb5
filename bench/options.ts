// Command-line options of `npm run bench` (bench/run.ts), with the full and the --quick load sizes.
import { parseArgs } from 'node:util';

/** `troupe-core`: Troupe with only the modules of the core and roster issues (#3, #4), for "no loss of speed from the modules" (#5). */
export const SERVERS = ['troupe', 'troupe-core', 'ejabberd'] as const;
export type ServerName = (typeof SERVERS)[number];
export const SCENARIOS = ['login', 'login_tls', 'chat', 'roster', 'muc'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface Options {
  scenarios: Scenario[];
  servers: ServerName[];
  /** `--servers` was given: a missing ejabberd is then an error, not a note */
  serversGiven: boolean;
  quick: boolean;
  /** how Troupe's accounts are made: XEP-0077 through Tsung, or one `troupectl register` per user */
  accounts: 'ibr' | 'ctl';
  reps: number;
  users: number;
  loginRate: number;
  registerRate: number;
  idleS: number;
  holdSlack: number;
  chatUsers: number;
  chatRates: number[];
  chatS: number;
  rosterUsers: number;
  rosterS: number;
  /** MUC fan-out: occupants of the one room, groupchat msgs/s offered in all, seconds of sending */
  mucUsers: number;
  mucRate: number;
  mucS: number;
  /** Troupe's room archives (XEP-0313, its default); off: configured without, as ejabberd's rooms are in the kit (no mod_mam) */
  mucArchive: boolean;
  /** ejabberd with its message archive (mod_mam, every chat message, its default mnesia backend): what archiving costs the anchor */
  ejabberdMam: boolean;
  /** keep the temp dir (server data and logs) instead of deleting it; Tsung's raw output is always kept */
  keep: boolean;
}

export const USAGE = `\
usage: npm run bench -- [options]

  --scenarios LIST   login,login_tls,chat,roster,muc (default login,chat,roster)
  --servers LIST     troupe,troupe-core,ejabberd (default troupe,ejabberd; ejabberd only when
                     installed); troupe-core: only the core and roster modules, no MAM, carbons, …
  --users N          login storm size and chat users (default 1000)
  --quick            small numbers, a smoke run of a minute or two
  --accounts ibr|ctl Troupe accounts via in-band registration (default) or troupectl register
  --reps N           repetitions, alternating the servers; tables show medians (default 1)
  --login-rate N     offered connection arrivals/s in the storm (default 2000)
  --chat-rates LIST  offered chat msgs/s, one run each (default 1000,2000,4000)
  --muc-archive on|off  Troupe's MUC room archives (default on); off: like ejabberd's in the kit
  --ejabberd-mam on|off ejabberd with mod_mam archiving every chat message (default off, as in the kit)
  --keep             keep the temp dir with server data and logs
`;

export function parseOptions(argv: string[]): Options {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      scenarios: { type: 'string' },
      servers: { type: 'string' },
      users: { type: 'string' },
      quick: { type: 'boolean', default: false },
      accounts: { type: 'string', default: 'ibr' },
      reps: { type: 'string', default: '1' },
      'login-rate': { type: 'string', default: '2000' },
      'chat-rates': { type: 'string' },
      keep: { type: 'boolean', default: false },
      'muc-archive': { type: 'string', default: 'on' },
      'ejabberd-mam': { type: 'string', default: 'off' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const quick = v.quick;
  const users = int('--users', v.users ?? (quick ? '100' : '1000'));
  const scenarios = list(v.scenarios ?? 'login,chat,roster');
  for (const s of scenarios) {
    if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`--scenarios: unknown "${s}"`);
  }
  const servers = list(v.servers ?? 'troupe,ejabberd');
  for (const s of servers) if (!(SERVERS as readonly string[]).includes(s)) throw new Error(`--servers: unknown "${s}"`);
  if (v.accounts !== 'ibr' && v.accounts !== 'ctl') throw new Error('--accounts: ibr or ctl');
  for (const flag of ['muc-archive', 'ejabberd-mam'] as const) if (v[flag] !== 'on' && v[flag] !== 'off') throw new Error(`--${flag}: on or off`);
  return {
    scenarios: scenarios as Scenario[],
    servers: servers as ServerName[],
    serversGiven: v.servers !== undefined,
    quick,
    accounts: v.accounts,
    reps: int('--reps', v.reps),
    users,
    loginRate: int('--login-rate', v['login-rate']),
    registerRate: 1000,
    idleS: quick ? 3 : 10,
    holdSlack: quick ? 3 : 15,
    chatUsers: Math.min(users, 1000),
    chatRates: list(v['chat-rates'] ?? (quick ? '500' : '1000,2000,4000')).map((r) => int('--chat-rates', r)),
    chatS: quick ? 4 : 15,
    rosterUsers: quick ? 20 : 200,
    rosterS: quick ? 4 : 20,
    mucUsers: Math.min(users, 200),
    mucRate: 50,
    mucS: quick ? 8 : 12,
    mucArchive: v['muc-archive'] === 'on',
    ejabberdMam: v['ejabberd-mam'] === 'on',
    keep: v.keep,
  };
}

function list(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter(Boolean);
}

function int(name: string, s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}: expected a positive integer, got "${s}"`);
  return n;
}
