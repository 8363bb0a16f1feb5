/**
 * mod_mam's IQ handler on users' bare JIDs (`urn:xmpp:mam:2`, sm IQ table): a user may read
 * and configure only its own archive (XEP-0313 §9.1: anyone else gets forbidden).
 *
 * - `get <query/>`: the query form (§4.1.5); `set <query/>`: a query (§4): the result messages
 *   go straight to the querying session, then the IQ result carries `<fin/>`;
 * - `get|set <prefs/>`: preferences (XEP-0441);
 * - `get <metadata/>`: the first and last message ("Archive metadata", #extended).
 */
import { stanzaError, isStanzaError } from '../../src/stanza/error.js';
import { finElement, metadataElement, resultMessage } from '../../src/mam/archive.js';
import { parseQueryForm, queryForm, type MamFilter } from '../../src/mam/form.js';
import { isArchiveId, timeKey } from '../../src/mam/id.js';
import { NS_RSM, NS_XDATA } from '../../src/mam/ns.js';
import { parsePrefs, prefsElement } from '../../src/mam/prefs.js';
import { page, parseRsm, type RsmRequest } from '../../src/mam/rsm.js';
import { parse } from 'ltx';
import type { Iq, IqAnswer } from '../iq_handler.js';
import { deliver } from '../sm.js';
import { prefsOf, retentionCutoff, setPrefs, type Mam } from './mod_mam.archive.js';
import type { ArchiveRange } from './mod_mam.store.js';

const maxString = (a: string | undefined, b: string | undefined): string | undefined => (a === undefined ? b : b === undefined || a > b ? a : b);
const minString = (a: string | undefined, b: string | undefined): string | undefined => (a === undefined ? b : b === undefined || a < b ? a : b);

/** The form and retention as key bounds: start and after-id from below, end and before-id from above. */
function archiveRange(m: Mam, f: MamFilter): ArchiveRange {
  const cutoff = retentionCutoff(m);
  let gte = f.start === undefined ? undefined : timeKey(f.start);
  if (cutoff > 0) gte = maxString(gte, timeKey(cutoff));
  if (f.afterId !== undefined) gte = maxString(gte, `${f.afterId}\0`);
  let lt = f.end === undefined ? undefined : timeKey(f.end + 1);
  if (f.beforeId !== undefined) lt = minString(lt, f.beforeId);
  const range: ArchiveRange = {};
  if (gte !== undefined) range.gte = gte;
  if (lt !== undefined) range.lt = lt;
  if (f.with) range.with = f.with;
  return range;
}

/** Every id the query names (§4.1.3, §4.3): each must be in the archive, else item-not-found. */
function namedIds(f: MamFilter, rsm: RsmRequest): string[] {
  const named = [f.afterId, f.beforeId, rsm.after, rsm.before === '' ? undefined : rsm.before, ...(f.ids ?? [])];
  return named.filter((id): id is string => id !== undefined);
}

/** §4: one query of the archive `iq.to` (a user's, or a room's for mod_muc); the results go to the querying session. */
export async function queryArchive(m: Mam, iq: Iq): Promise<IqAnswer> {
  const q = iq.payload;
  const filter = parseQueryForm(q.getChild('x', NS_XDATA));
  if (isStanzaError(filter)) return filter;
  const rsm = parseRsm(q.getChild('set', NS_RSM));
  if (isStanzaError(rsm)) return rsm;
  const { local: user, domain: host } = iq.to;
  const named = namedIds(filter, rsm);
  if (named.length > 0 && (!named.every(isArchiveId) || !(await m.store.has(user, host, named)))) {
    return stanzaError('item-not-found', 'no such message in the archive');
  }
  let ids = await m.store.ids(user, host, archiveRange(m, filter));
  if (filter.ids) {
    const only = new Set(filter.ids);
    ids = ids.filter((id) => only.has(id));
  }
  const p = page(ids, rsm, m.opts.max_page);
  const messages = await m.store.get(user, host, p.ids);
  if (q.getChild('flip-page')) messages.reverse(); // §4.3.4: the order of sending only
  const session = m.ctx.node.sessions.get(iq.from);
  const address = { from: iq.to.bareString(), to: iq.from.toString(), queryid: q.attrs.queryid };
  for (const message of messages) {
    if (session) deliver(session, iq.to, iq.from, resultMessage(address, message.id, parse(message.xml)));
  }
  return finElement(p);
}

async function prefs(m: Mam, iq: Iq): Promise<IqAnswer> {
  if (iq.type === 'get') return prefsElement(await prefsOf(m, iq.to));
  const p = parsePrefs(iq.payload);
  if (isStanzaError(p)) return p;
  await setPrefs(m, iq.to, p);
  return prefsElement(p);
}

async function metadata(m: Mam, iq: Iq): Promise<IqAnswer> {
  const bounds = await m.store.bounds(iq.to.local, iq.to.domain);
  return metadataElement(bounds?.first, bounds?.last);
}

export function processMamIq(m: Mam, iq: Iq): IqAnswer | Promise<IqAnswer> {
  if (!iq.from.bare().equals(iq.to.bare())) return stanzaError('forbidden', 'an archive is for its owner only');
  switch (`${iq.type} ${iq.payload.name}`) {
    case 'get query': return queryForm();
    case 'set query': return queryArchive(m, iq);
    case 'get prefs':
    case 'set prefs': return prefs(m, iq);
    case 'get metadata': return metadata(m, iq);
    default: return stanzaError('bad-request', `<${iq.payload.name}/> of type '${iq.type}' is not a MAM request`);
  }
}
