/**
 * ejabberd_auth:remove_user, for XEP-0077 §3.2 (cancel) and `troupectl unregister`: the account
 * and, through the `remove_user` hook (ejabberd's name and arguments, plus the removal each
 * module adds its part to), every module's data of the user, committed as ONE write (see
 * `src/storage/user_removal.ts`). Modules' caches drop the user once it is committed.
 */
import { UserRemoval } from '../src/storage/user_removal.js';
import type { Node } from './node.js';

export async function removeUser(node: Node, user: string, host: string): Promise<void> {
  const removal = new UserRemoval(user, host);
  await node.accounts.remove(removal);
  await node.hooks.run('remove_user', host, user, host, removal);
  await node.stores.commitRemoval(removal);
}
