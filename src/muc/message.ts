/**
 * XEP-0045 messages the room sends: a groupchat message reflected from an occupant (§7.4), a
 * private message passed on (§7.5), the subject (§8.1), notices with status codes (§10.2 104),
 * and the voice request form moderators get (§8.6). Pure: the stanza given is never modified.
 */
import { clone, createElement, type Element } from 'ltx';
import { NS_XDATA } from '../mam/ns.js';
import { NS_CLIENT } from '../xml/ns.js';
import { NS_MUC_REQUEST, NS_MUC_USER } from './ns.js';
import { userX } from './presence.js';
import { formField } from '../xdata/fields.js';

/**
 * The sender's message as the room sends it on: from its occupant JID, without its `to`, and
 * without the `xmlns='jabber:client'` the parser gave it (the stream's default namespace: the
 * room's own stanzas do not carry it either).
 */
export function reflected(stanza: Element, from: string): Element {
  const message = clone(stanza);
  message.attrs.from = from;
  delete message.attrs.to;
  if (message.attrs.xmlns === NS_CLIENT) delete message.attrs.xmlns;
  return message;
}

/** §7.5 Example 49: a private message carries an empty `<x xmlns='…muc#user'/>`. */
export function privateMessage(stanza: Element, from: string): Element {
  const message = reflected(stanza, from);
  message.append(createElement('x', { xmlns: NS_MUC_USER }));
  return message;
}

/** §7.2.15: the subject (empty when none) from the occupant who set it, else from the room. */
export function subjectMessage(from: string, subject: string): Element {
  return createElement('message', { from, type: 'groupchat' }, createElement('subject', null, subject));
}

/** A groupchat notice from the room itself with status codes (§10.2: 104 after a configuration change). */
export function statusMessage(room: string, codes: number[]): Element {
  return createElement('message', { from: room, type: 'groupchat' }, userX(null, codes));
}

/** §8.6 Example 82: the approval form a moderator receives for a voice request. */
export function voiceRequestForm(room: string, jid: string, nick: string): Element {
  return createElement(
    'message',
    { from: room },
    createElement(
      'x',
      { xmlns: NS_XDATA, type: 'form' },
      createElement('title', null, 'Voice request'),
      formField('FORM_TYPE', 'hidden', [NS_MUC_REQUEST]),
      formField('muc#role', 'list-single', ['participant']),
      formField('muc#jid', 'jid-single', [jid]),
      formField('muc#roomnick', 'text-single', [nick]),
      formField('muc#request_allow', 'boolean', ['false']),
    ),
  );
}

/** §7.8.2 Example 58 / §7.8.2 decline: the room passes on an invitation (with the password) or its decline. */
export function invitationMessage(room: string, kind: 'invite' | 'decline', from: string, reason: string | null, password?: string): Element {
  const el = createElement(kind, { from });
  if (reason) el.append(createElement('reason', null, reason));
  const x = createElement('x', { xmlns: NS_MUC_USER }, el);
  if (password) x.append(createElement('password', null, password));
  return createElement('message', { from: room }, x);
}
