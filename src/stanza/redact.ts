// What may be logged of a stanza: a copy with every <password/> (XEP-0077 registration and
// password change, XEP-0078) emptied, so a crash report never writes a password to the log.
import { clone, type Element } from 'ltx';

const SECRET = 'password';

function redactIn(el: Element): void {
  for (const child of el.children) {
    if (typeof child === 'string') continue;
    if (child.name === SECRET || child.name.endsWith(`:${SECRET}`)) child.children = ['[redacted]'];
    else redactIn(child);
  }
}

/** The stanza as text for a log line, its passwords replaced by `[redacted]`; `stanza` is not modified. */
export function loggable(stanza: Element): string {
  const copy = clone(stanza);
  redactIn(copy);
  return copy.toString();
}
