/**
 * Who may use the observer and its crash button (ARCHITECTURE §8). The listener binds where
 * `listen.http` says, but these endpoints answer only a client on loopback, or one presenting
 * the token of `<data_dir>/observer.token` (`Authorization: Bearer …` or `?token=`).
 *
 * Two browser attacks on a loopback client are closed as well: DNS rebinding (a page served
 * from `evil.example` resolving to 127.0.0.1 sends `Host: evil.example`, so loopback trust also
 * needs a loopback Host) and cross-site requests (a browser names the page's origin in
 * `Origin`; one that differs from the Host is refused, token or not).
 */
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** What the check needs of a request; pure data, so it is unit-tested with forged addresses. */
export interface ClientFacts {
  /** The socket's peer address (`req.socket.remoteAddress`). */
  address: string | undefined;
  /** The `Host` header. */
  host?: string | undefined;
  /** The `Origin` header (browsers send it on POST and on cross-origin requests). */
  origin?: string | undefined;
  /** The `Authorization` header. */
  authorization?: string | undefined;
  /** The `token` query parameter. */
  queryToken?: string | null | undefined;
}

/** 127.0.0.0/8, ::1, and IPv4 loopback mapped into IPv6 (`::ffff:127.0.0.1`, as a `::` socket sees it). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  if (isIP(address) === 4) return address.startsWith('127.');
  if (isIP(address) !== 6 || address.includes('%')) return false; // a zone id (fe80::1%eth0) is a link, not loopback
  // The URL parser compresses and lower-cases IPv6 and writes a mapped IPv4 in hex: ::ffff:7fxx:xxxx.
  const canonical = new URL(`http://[${address}]/`).hostname;
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}

/** `localhost`, a loopback address, with or without a port; a missing Host (HTTP/1.0) is not a browser's. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return true;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name.toLowerCase() === 'localhost' || name.toLowerCase().endsWith('.localhost') || isLoopback(name);
}

/** No Origin (not a browser, or a same-origin GET), or exactly `http(s)://<Host>`. */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (host === undefined) return false;
  return origin === `http://${host}` || origin === `https://${host}`;
}

/** The token the client presents, from `Authorization: Bearer` or `?token=`. */
export function presentedToken(facts: ClientFacts): string | null {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(facts.authorization ?? '');
  return bearer?.[1] ?? facts.queryToken ?? null;
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
export function tokenMatches(presented: string | null, token: string): boolean {
  if (presented === null || token === '') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** May this client use the observer (page, event stream, crash button)? */
export function mayObserve(facts: ClientFacts, token: string): boolean {
  if (!sameOrigin(facts.origin, facts.host)) return false;
  if (tokenMatches(presentedToken(facts), token)) return true;
  return isLoopback(facts.address) && isLoopbackHost(facts.host);
}
