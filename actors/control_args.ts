/**
 * Checks of troupectl arguments shared by the verbs: a served host, an account name, a
 * password, a JID. Each returns the prepared value or throws an Error whose message is the
 * one line troupectl prints.
 */
import type { Node } from './node.js';
import { nameprep, nodeprep, tryParseJid, type Jid } from '../src/jid.js';
import { preparePassword } from '../src/sasl/saslprep.js';

export function validHost(node: Node, hostArg: string): string {
  const host = nameprep(hostArg);
  if (host === null || !node.hosts.includes(host)) throw new Error(`unknown host '${hostArg}' (served: ${node.hosts.join(', ')})`);
  return host;
}

export function account(node: Node, userArg: string, hostArg: string): { user: string; host: string } {
  const user = nodeprep(userArg);
  if (user === null) throw new Error(`invalid user name '${userArg}'`);
  return { user, host: validHost(node, hostArg) };
}

/** An existing account (`user does not exist` otherwise). */
export async function existingAccount(node: Node, userArg: string, hostArg: string): Promise<{ user: string; host: string }> {
  const { user, host } = account(node, userArg, hostArg);
  if (!(await node.accounts.exists(user, host))) throw new Error(`user ${user}@${host} does not exist`);
  return { user, host };
}

export function checkPassword(password: string): void {
  if (preparePassword(password) === null) throw new Error('invalid password (empty, or characters PRECIS does not allow)');
}

export function validJid(arg: string, what: string): Jid {
  const parsed = tryParseJid(arg);
  if (parsed === null) throw new Error(`invalid JID '${arg}' (${what})`);
  return parsed;
}
