/**
 * mod_pep's storage (XEP-0163, STYLE §8): per account, its PEP nodes (configuration and items).
 * A change is a pure function of the stored node (src/pep/node.ts), applied under a per-user
 * lock and written in one put. LevelDB backend in `mod_pep.level.ts`.
 */
import type { StanzaError } from '../../src/stanza/error.js';
import type { PepNode } from '../../src/pep/node.js';
import type { UserRemoval } from '../../src/storage/user_removal.js';

/** What a change makes of a node: the next node, null to delete it, or an error (nothing written). */
export type NodeChange = (current: PepNode | undefined) => PepNode | null | StanzaError;

export interface PepStore {
  node(user: string, host: string, node: string): Promise<PepNode | undefined>;
  /** The names of the account's nodes, sorted. */
  nodes(user: string, host: string): Promise<string[]>;
  /** Applies `change` to the stored node and writes the outcome; resolves with it. */
  update(user: string, host: string, node: string, change: NodeChange): Promise<PepNode | null | StanzaError>;
  /** Adds every node of the account to the account's removal. */
  removeUser(removal: UserRemoval): Promise<void>;
}
