/**
 * A room's messages (XEP-0045 §7.4 groupchat, §7.5 private messages, §7.8 invitations, §8.1
 * subject, §8.6 voice requests): groupchat from an occupant who has voice is reflected to every
 * occupant, kept for history and, when the room archives (XEP-0313), stamped with the room's
 * stanza-id.
 */
import type { Element } from 'ltx';
import { tryParseJid, type Jid } from '../../src/jid.js';
import { stanzaError } from '../../src/stanza/error.js';
import { withoutStanzaId, withStanzaId } from '../../src/mam/archive.js';
import { NS_XDATA } from '../../src/mam/ns.js';
import { invitationMessage, privateMessage, reflected, subjectMessage, voiceRequestForm } from '../../src/muc/message.js';
import { NS_MUC_REQUEST, NS_MUC_USER, STATUS } from '../../src/muc/ns.js';
import { atLeast, canSpeak } from '../../src/muc/roles.js';
import { submittedFields } from '../../src/xdata/fields.js';
import { stanzaCopies } from '../../src/xml/stanza_copies.js';
import { bounce, route } from '../router.js';
import { occupantJid, persist, send, type Room } from './mod_muc_room.context.js';
import { affiliationOf, occupantByJid, type Occupant } from './mod_muc_room.state.js';
import { broadcastPresence, removeOccupant } from './mod_muc_room.presence.js';

/**
 * Sends one copy of `message` (from `from`) to every occupant: built and serialised once, each
 * copy only its `to` (`stanzaCopies`). The copies are routed together: one occupant's route
 * does not wait for another's, and the room's next stanza waits for all, so each occupant still
 * gets the room's stanzas in order.
 */
async function toAll(r: Room, from: Jid, message: Element): Promise<void> {
  message.attrs.from = from.toString();
  const copies = stanzaCopies(message);
  await Promise.all(Array.from(r.data.occupants.values(), (o) => route(r.node, from, o.jid, copies.copyTo(o.jid.toString()))));
}

/** §8.1: moderators, or anyone with voice when the room allows it, set the subject. */
async function setSubject(r: Room, sender: Occupant, stanza: Element, from: Jid, to: Jid): Promise<void> {
  const allowed = sender.role === 'moderator' || (r.data.config.allow_change_subject && canSpeak(sender.role));
  if (!allowed) return bounce(r.node, from, to, stanza, stanzaError('forbidden', 'you may not change the subject'));
  r.data.subject = { text: stanza.getChildText('subject') ?? '', nick: sender.nick };
  if (r.data.config.persistent) await persist(r);
  const by = occupantJid(r.data.jid, sender.nick);
  await toAll(r, by, subjectMessage(by.toString(), r.data.subject.text));
}

/** §7.4: reflected to all, archived (the room's stanza-id, XEP-0359) and kept for history. */
async function groupchat(r: Room, sender: Occupant | undefined, stanza: Element, from: Jid, to: Jid): Promise<void> {
  if (!sender) return bounce(r.node, from, to, stanza, stanzaError('not-acceptable', 'only occupants send to the room'));
  if (stanza.getChild('subject') && !stanza.getChild('body')) return setSubject(r, sender, stanza, from, to);
  if (!canSpeak(sender.role)) return bounce(r.node, from, to, stanza, stanzaError('forbidden', 'you have no voice in this room'));
  const room = r.data.jid;
  const by = occupantJid(room, sender.nick);
  let message = withoutStanzaId(reflected(stanza, by.toString()), room.toString());
  let written: Promise<void> | undefined;
  if (stanza.getChild('body')) {
    if (r.data.config.mam) {
      const appended = await r.mam.append(room.local, room.domain, { peer: by.toString(), out: false, xml: message.toString() });
      message = withStanzaId(message, room.toString(), appended.id);
      written = appended.written;
    }
    r.data.history.push({ xml: message.toString(), at: Date.now(), nick: sender.nick });
    if (r.data.history.length > r.opts.history_size) r.data.history.splice(0, r.data.history.length - r.opts.history_size);
  }
  // Fanned out while the archive row is in flight; the room's next stanza waits for the row.
  await toAll(r, by, message);
  await written;
}

/** §7.5: to one occupant, by nick, as the room's `allowpm` says. */
async function privateChat(r: Room, sender: Occupant | undefined, stanza: Element, from: Jid, to: Jid): Promise<void> {
  if (stanza.attrs.type === 'groupchat') return bounce(r.node, from, to, stanza, stanzaError('bad-request', 'groupchat goes to the room, not to an occupant'));
  if (!sender) return bounce(r.node, from, to, stanza, stanzaError('not-acceptable', 'only occupants send private messages'));
  const target = r.data.occupants.get(to.resource);
  if (!target) return bounce(r.node, from, to, stanza, stanzaError('item-not-found', 'no such occupant'));
  const pm = r.data.config.allow_pm;
  const allowed = pm === 'anyone' || (pm === 'participants' && canSpeak(sender.role)) || (pm === 'moderators' && sender.role === 'moderator');
  if (!allowed) return bounce(r.node, from, to, stanza, stanzaError('forbidden', 'private messages are not allowed here'));
  const by = occupantJid(r.data.jid, sender.nick);
  await send(r, by, target.jid, privateMessage(stanza, by.toString()));
}

/**
 * §8.6: a visitor's voice request goes to every moderator as a form; a moderator's answer
 * with `muc#request_allow` true makes the visitor a participant.
 */
async function voiceRequest(r: Room, sender: Occupant | undefined, form: Element, stanza: Element, from: Jid, to: Jid): Promise<void> {
  const fields = submittedFields(form);
  if (!(fields instanceof Map) || fields.get('FORM_TYPE')?.[0] !== NS_MUC_REQUEST) {
    return bounce(r.node, from, to, stanza, fields instanceof Map ? stanzaError('bad-request', `expected a ${NS_MUC_REQUEST} form`) : fields);
  }
  if (!sender) return bounce(r.node, from, to, stanza, stanzaError('not-acceptable', 'only occupants request voice'));
  const allow = fields.get('muc#request_allow')?.[0];
  if (allow === undefined) {
    if (sender.role !== 'visitor') return; // it has voice already
    for (const m of r.data.occupants.values()) {
      if (m.role === 'moderator') await send(r, r.data.jid, m.jid, voiceRequestForm(r.data.jid.toString(), sender.jid.toString(), sender.nick));
    }
    return;
  }
  if (sender.role !== 'moderator') return bounce(r.node, from, to, stanza, stanzaError('forbidden', 'only moderators grant voice'));
  const target = r.data.occupants.get(fields.get('muc#roomnick')?.[0] ?? '');
  if (!target || target.role !== 'visitor' || (allow !== '1' && allow !== 'true')) return;
  target.role = 'participant';
  await broadcastPresence(r, target, [], [], false, { actor: sender.nick });
}

/**
 * §7.8.2 mediated invitations: an occupant's `<invite to/>` goes to the invitee from the room
 * (with the password); in a members-only room only admins and owners invite, and the invitee
 * becomes a member (§9.3). The invitee's `<decline to/>` goes back to the inviter.
 */
async function invitation(r: Room, sender: Occupant | undefined, x: Element, stanza: Element, from: Jid, to: Jid): Promise<void> {
  const el = x.getChild('invite') ?? x.getChild('decline');
  const target = el?.attrs.to === undefined ? null : tryParseJid(el.attrs.to);
  if (!el || !target) return bounce(r.node, from, to, stanza, stanzaError(el ? 'jid-malformed' : 'bad-request', 'an invite or decline names a JID in to'));
  const room = r.data.jid.toString();
  const reason = el.getChildText('reason');
  if (el.name === 'decline') return send(r, r.data.jid, target, invitationMessage(room, 'decline', from.bareString(), reason));
  if (!sender) return bounce(r.node, from, to, stanza, stanzaError('not-acceptable', 'only occupants invite'));
  const { config } = r.data;
  if (config.members_only) {
    if (!atLeast(affiliationOf(r.data, from), 'admin')) return bounce(r.node, from, to, stanza, stanzaError('forbidden', 'only admins invite to a members-only room'));
    if (!atLeast(affiliationOf(r.data, target), 'member')) {
      r.data.affiliations.set(target.bareString(), 'member');
      await persist(r);
    }
  }
  const password = config.password_protected ? config.password : undefined;
  await send(r, r.data.jid, target, invitationMessage(room, 'invite', from.bareString(), reason, password));
}

/** Messages to `room@service` or `room@service/nick`. */
export async function roomMessage(r: Room, from: Jid, to: Jid, stanza: Element): Promise<void> {
  const sender = occupantByJid(r.data, from);
  const type = stanza.attrs.type ?? 'normal';
  if (type === 'error') {
    // An occupant's client bounced what the room sent it: it is gone (§ status 333, as ejabberd).
    if (sender) await removeOccupant(r, sender, [STATUS.TECHNICAL]);
    return;
  }
  if (to.resource !== '') return privateChat(r, sender, stanza, from, to);
  if (type === 'groupchat') return groupchat(r, sender, stanza, from, to);
  const form = stanza.getChild('x', NS_XDATA);
  if (form) return voiceRequest(r, sender, form, stanza, from, to);
  const user = stanza.getChild('x', NS_MUC_USER);
  if (user) return invitation(r, sender, user, stanza, from, to);
  return bounce(r.node, from, to, stanza, stanzaError('bad-request', 'this room takes groupchat, voice requests and invitations'));
}
