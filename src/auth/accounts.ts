/**
 * Account lookups for logins (ejabberd_auth): a node-cache in front of the passwd store, so a
 * login storm does not read LevelDB once per SASL step; invalidated on every change. Off when
 * the store is shared with other nodes, whose changes this node would not see.
 */
import NodeCache from 'node-cache';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { accountFor, type PasswdStore, type StoredAccount } from '../storage/passwd.js';
import type { UserRemoval } from '../storage/user_removal.js';
import { deriveScramCredentials, type ScramCredentials, type ScramHash } from '../sasl/scram_credentials.js';
import { verifyPlainAgainstScram } from '../sasl/plain.js';

export interface AuthOptions {
  passwordFormat: 'scram' | 'plain';
  scramIterations: number;
  cache: boolean;
}

export class Accounts {
  private readonly cache = new NodeCache({ stdTTL: 60, checkperiod: 120, useClones: false, maxKeys: 100_000 });

  constructor(private readonly store: () => PasswdStore, private readonly options: AuthOptions) {}

  async get(user: string, host: string): Promise<StoredAccount | undefined> {
    if (!this.options.cache) return this.store().get(user, host);
    const key = `${user}@${host}`;
    const cached = this.cache.get<StoredAccount | null>(key);
    if (cached !== undefined) return cached ?? undefined;
    const account = await this.store().get(user, host);
    try {
      this.cache.set(key, account ?? null);
    } catch {
      // maxKeys reached: serve uncached rather than fail the login.
    }
    return account;
  }

  /** SCRAM credentials for this hash; for plain-stored accounts they are derived per login. */
  async scramCredentials(user: string, host: string, hash: ScramHash): Promise<ScramCredentials | null> {
    const account = await this.get(user, host);
    if (!account) return null;
    if (account.format === 'scram') return account.scram[hash];
    return deriveScramCredentials(account.password, hash, this.options.scramIterations);
  }

  async checkPassword(user: string, host: string, password: string): Promise<boolean> {
    const account = await this.get(user, host);
    // An unknown user costs the same PBKDF2 as a known one: the answer's timing tells nothing.
    if (!account) return verifyPlainAgainstScram(password, this.decoy(), 'sha256').then(() => false);
    if (account.format === 'scram') return verifyPlainAgainstScram(password, account.scram.sha256, 'sha256');
    const a = Buffer.from(account.password);
    const b = Buffer.from(password);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Credentials no password matches, with the configured iteration count. */
  private decoy(): ScramCredentials {
    const random = (n: number): string => randomBytes(n).toString('base64');
    return { salt: random(16), iterations: this.options.scramIterations, storedKey: random(32), serverKey: random(32) };
  }

  async exists(user: string, host: string): Promise<boolean> {
    return (await this.get(user, host)) !== undefined;
  }

  /** Creates or replaces the account's credentials in the configured format. */
  async setPassword(user: string, host: string, password: string): Promise<void> {
    await this.store().set(user, host, await accountFor(password, this.options.passwordFormat, this.options.scramIterations));
    this.invalidate(user, host);
  }

  /** Adds the account to its removal; logins stop finding it once that is committed. */
  async remove(removal: UserRemoval): Promise<void> {
    await this.store().removeUser(removal);
    removal.afterCommit(() => this.invalidate(removal.user, removal.host));
  }

  users(host: string): Promise<string[]> {
    return this.store().users(host);
  }

  invalidate(user: string, host: string): void {
    this.cache.del(`${user}@${host}`);
  }
}
