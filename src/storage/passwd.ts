/**
 * Account credentials (ejabberd_auth): SCRAM salted keys per hash, never the password, unless
 * `auth.password_format: plain` was chosen (migrations, Tsung benchmarks; as ejabberd offers).
 */
import { readNow, table, userKey, type Db } from './db.js';
import type { UserRemoval } from './user_removal.js';
import { deriveScramCredentials, type ScramCredentials, type ScramHash } from '../sasl/scram_credentials.js';

export type StoredAccount =
  | { format: 'scram'; scram: Record<ScramHash, ScramCredentials> }
  | { format: 'plain'; password: string };

export interface PasswdStore {
  get(user: string, host: string): Promise<StoredAccount | undefined>;
  set(user: string, host: string, account: StoredAccount): Promise<void>;
  /** Adds the account to its removal. */
  removeUser(removal: UserRemoval): Promise<void>;
  users(host: string): Promise<string[]>;
}

export function levelPasswdStore(db: Db): PasswdStore {
  const passwd = table<StoredAccount>(db, 'passwd');
  return {
    get: (user, host) => readNow(passwd, userKey(user, host)),
    set: (user, host, account) => passwd.put(userKey(user, host), account),
    removeUser: async (removal) => removal.deleteKeys('passwd'),
    async users(host) {
      const prefix = `${host}\0`;
      const keys = await passwd.keys({ gte: prefix, lt: `${host}\x01` }).all();
      return keys.map((k: string) => k.slice(prefix.length));
    },
  };
}

/** What gets stored for a new password, by the configured format. */
export async function accountFor(password: string, format: 'scram' | 'plain', iterations: number): Promise<StoredAccount> {
  if (format === 'plain') return { format: 'plain', password };
  const [sha1, sha256] = await Promise.all([
    deriveScramCredentials(password, 'sha1', iterations),
    deriveScramCredentials(password, 'sha256', iterations),
  ]);
  return { format: 'scram', scram: { sha1, sha256 } };
}
