/**
 * A test client with XEP-0115 entity capabilities: it answers the server's disco#info query
 * for `node#ver` (mod_caps verifies the hash) and announces `ver` in its presence. A feature
 * unique to the client makes its `ver` unique, so the server always asks it (nothing cached).
 */
import type { DiscoInfo } from '../../src/disco/info.js';
import { capsVer, NS_CAPS } from '../../src/caps/ver.js';
import { NS_DISCO_INFO } from '../../src/xml/ns.js';
import { settle } from './im.js';
import { xml, type TestClient } from './xmpp.js';

const NODE = 'urn:troupe:test';

/** Sends available presence with caps for `features` and resolves once the server has learnt them. */
export async function advertiseCaps(c: TestClient, features: string[]): Promise<void> {
  const info: DiscoInfo = {
    identities: [{ category: 'client', type: 'pc', name: 'troupe test' }],
    features: [NS_DISCO_INFO, NS_CAPS, `urn:troupe:test:${c.xmpp.jid?.toString()}`, ...features],
    forms: [],
  };
  const ver = capsVer(info, 'sha-1') as string;
  // Built with the client's own xml(): xmpp.js sends only its own Element class as a result's child.
  const answer = (node: string) => xml('query', { xmlns: NS_DISCO_INFO, node },
    ...info.identities.map((i) => xml('identity', { category: i.category, type: i.type, name: i.name })),
    ...info.features.map((f) => xml('feature', { var: f })));
  c.xmpp.iqCallee.get(NS_DISCO_INFO, 'query', ({ element }) => answer(element.attrs.node ?? ''));
  const asked = c.next((el) => el.is('iq') && el.attrs.type === 'get' && !!el.getChild('query', NS_DISCO_INFO));
  await c.xmpp.send(xml('presence', {}, xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: NODE, ver })));
  await asked;
  await settle(300); // the answer goes back through the c2s to mod_caps
}
