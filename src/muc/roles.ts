/**
 * XEP-0045 roles and affiliations (§5): the default role of an affiliation, who may enter
 * (§7.2), who may change whose role (§8, §9.6) and affiliation (§9, §10). Pure: each rule
 * answers null (allowed) or the stanza error the XEP names.
 */
import { stanzaError, type StanzaError } from '../stanza/error.js';

export type Affiliation = 'owner' | 'admin' | 'member' | 'none' | 'outcast';
export type Role = 'moderator' | 'participant' | 'visitor' | 'none';

export const AFFILIATIONS: readonly Affiliation[] = ['owner', 'admin', 'member', 'none', 'outcast'];
export const ROLES: readonly Role[] = ['moderator', 'participant', 'visitor', 'none'];

/** §5.2: the hierarchy of affiliations. */
const RANK: Record<Affiliation, number> = { owner: 4, admin: 3, member: 2, none: 1, outcast: 0 };

export const isAffiliation = (s: string | undefined): s is Affiliation => AFFILIATIONS.includes(s as Affiliation);
export const isRole = (s: string | undefined): s is Role => ROLES.includes(s as Role);
export const atLeast = (a: Affiliation, b: Affiliation): boolean => RANK[a] >= RANK[b];

/** §5.1.2: owners and admins moderate; in a moderated room a newcomer without affiliation is a visitor. */
export function defaultRole(affiliation: Affiliation, moderated: boolean): Role {
  if (affiliation === 'outcast') return 'none';
  if (atLeast(affiliation, 'admin')) return 'moderator';
  if (affiliation === 'member') return 'participant';
  return moderated ? 'visitor' : 'participant';
}

export interface EntryRules {
  membersOnly: boolean;
  /** null: no password. */
  password: string | null;
  maxUsers: number;
}

/**
 * §7.2.6–7.2.10, in the order ejabberd checks them: banned (forbidden), not a member of a
 * members-only room (registration-required), wrong password (not-authorized), room full
 * (service-unavailable; owners and admins still enter, §7.2.10).
 */
export function entryDenial(affiliation: Affiliation, rules: EntryRules, given: string | undefined, occupants: number): StanzaError | null {
  if (affiliation === 'outcast') return stanzaError('forbidden', 'you are banned from this room');
  if (rules.membersOnly && !atLeast(affiliation, 'member')) return stanzaError('registration-required', 'this room is members-only');
  if (rules.password !== null && given !== rules.password && !atLeast(affiliation, 'admin')) {
    return stanzaError('not-authorized', 'a password is required to enter this room');
  }
  if (occupants >= rules.maxUsers && !atLeast(affiliation, 'admin')) return stanzaError('service-unavailable', 'the room is full');
  return null;
}

export interface Actor {
  role: Role;
  affiliation: Affiliation;
}

/**
 * §8.2 (kick), §8.3–8.4 (voice), §9.6–9.7 (moderator status): only moderators change roles;
 * granting or revoking moderator status takes an admin; nobody may change the role of
 * someone of higher affiliation, nor kick or unvoice an admin or owner (not-allowed).
 */
export function roleChangeDenial(actor: Actor, target: Actor, role: Role): StanzaError | null {
  if (actor.role !== 'moderator') return stanzaError('forbidden', 'only moderators change roles');
  if ((role === 'moderator' || target.role === 'moderator') && !atLeast(actor.affiliation, 'admin')) {
    return stanzaError('not-allowed', 'moderator status is granted and revoked by admins');
  }
  if (RANK[target.affiliation] > RANK[actor.affiliation]) return stanzaError('not-allowed', 'the target has a higher affiliation');
  if (role !== 'moderator' && atLeast(target.affiliation, 'admin')) return stanzaError('not-allowed', 'admins and owners stay moderators');
  return null;
}

/**
 * §9 (admin use cases), §10.3–10.7 (owner use cases): admins manage outcasts, members and
 * none among those below them; owners manage everything (the last owner is kept by the room).
 */
export function affiliationChangeDenial(actor: Affiliation, target: Affiliation, affiliation: Affiliation): StanzaError | null {
  if (actor === 'owner') return null;
  if (actor !== 'admin') return stanzaError('forbidden', 'only admins and owners change affiliations');
  if (atLeast(target, 'admin') || atLeast(affiliation, 'admin')) return stanzaError('not-allowed', 'only owners manage admins and owners');
  return null;
}

/** The role an occupant gets when its affiliation changes (§9.1: a ban removes it; §9.4: in members-only rooms so does losing membership). */
export function roleAfterAffiliation(affiliation: Affiliation, current: Role, moderated: boolean, membersOnly: boolean): Role {
  if (affiliation === 'outcast' || (membersOnly && !atLeast(affiliation, 'member'))) return 'none';
  if (atLeast(affiliation, 'admin')) return 'moderator';
  if (affiliation === 'member') return 'participant';
  return current === 'moderator' ? defaultRole(affiliation, moderated) : current;
}

/** §7.9: visitors do not speak in a moderated room; non-occupants never. */
export const canSpeak = (role: Role): boolean => role === 'moderator' || role === 'participant';
