// RFC 6120 §4 (XML streams) and §11 (XML usage), RFC 7395 §3 (WebSocket framing): the incoming
// stream parser. MarkupScanner (scanner.ts) filters the decoded text and releases it tag by tag to
// ltx's SAX tokenizer, whose events build ltx Elements here. Every bad input ends in exactly one
// StreamError, never in an exception or a hang. The number of tags the scanner saw must match the
// number ltx reports, otherwise the markup was malformed (ltx accepts e.g. <a x=y> silently).
import { TextDecoder } from 'node:util';
import { Element } from 'ltx';
import SaxLtx from 'ltx/src/parsers/ltx.js';
import { NS_CLIENT, NS_FRAMING, NS_STREAMS } from './ns.js';
import { MarkupScanner } from './scanner.js';
import { StreamError } from './stream_error.js';

export interface StreamParserOptions {
  /** Largest top-level element, in bytes (RFC 6120 §13.12); default 262144. */
  maxStanzaSize: number;
  /** Deepest element nesting below the stream, a stanza being depth 1; default 32. */
  maxDepth: number;
  /** 'tcp' (RFC 6120 <stream:stream>) or 'websocket' (RFC 7395 <open/>, one element per write). */
  framing?: 'tcp' | 'websocket';
}

export interface StreamParserHandlers {
  /** The validated stream header (or WebSocket <open/>) attributes. */
  streamStart(attrs: Record<string, string>): void;
  /** A complete depth-1 element, parent=null, with the stream's default xmlns (and the stream-level prefix it uses) added. */
  stanza(el: Element): void;
  /** </stream:stream> (or WebSocket <close/>). */
  streamEnd(): void;
  /** Fatal: the parser ignores all further input, also after reset(). */
  error(err: StreamError): void;
}

type Event = { kind: 'start'; attrs: Record<string, string> } | { kind: 'stanza'; el: Element } | { kind: 'end' };

/** Input is handled in slices of this many bytes: the granularity of the stanza size limit. */
const SLICE = 8192;
// XML 1.0 §2.2 Char (the UTF-8 decoder never yields lone surrogates).
const BAD_CHAR = /[\0-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const NON_WS = /[^ \t\r\n]/;
// XML 1.0 §2.3 NameStartChar / NameChar, without ':'; XML-NAMES §4 QName = (NCName ':')? NCName.
const START = 'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C\\u200D' +
  '\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NCNAME = `[${START}][${START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F\\u2040]*`;
const QNAME = new RegExp(`^(?:${NCNAME}:)?${NCNAME}$`, 'u');
const notWellFormed = (text: string) => new StreamError('not-well-formed', text);

/** RFC 6120 §4.7.5: major version 1 only; a missing version means 0.9 (pre-RFC 3920), unsupported. */
function checkVersion(version: string | undefined): void {
  const m = version === undefined ? null : /^([0-9]+)\.[0-9]+$/.exec(version);
  if (!m || Number(m[1]) !== 1) throw new StreamError('unsupported-version', 'version 1.0 is required');
}

export class StreamParser {
  private readonly opts: Required<StreamParserOptions>;
  private readonly ws: boolean;
  private failed = false;
  private gen = 0;
  private phase: 'header' | 'open' | 'closed' = 'header';
  private decoder!: TextDecoder;
  private sax!: SaxLtx;
  private queue: Event[] = [];
  /** Bytes since the last top-level element ended (or the stream started). */
  private stanzaBytes = 0;
  private scanner!: MarkupScanner;
  private tagEvents = 0;
  private header: Record<string, string> | null = null;
  private headerName = '';
  private cur: Element | null = null;
  private depth = 0;

  constructor(private readonly handlers: StreamParserHandlers, options?: Partial<StreamParserOptions>) {
    this.opts = { maxStanzaSize: 262144, maxDepth: 32, framing: 'tcp', ...options };
    this.ws = this.opts.framing === 'websocket';
    this.reset();
  }

  /**
   * Stream restart (RFC 6120 §5.4.3.3 after STARTTLS, §6.4.6 after SASL success): a new header is
   * expected. Whatever was received and not yet delivered, including the rest of the chunk being
   * written when a handler calls reset(), is discarded.
   */
  reset(): void {
    this.gen++;
    this.phase = 'header';
    this.decoder = new TextDecoder('utf-8', { fatal: true });
    this.sax = new SaxLtx();
    this.sax.on('startElement', (name: string, attrs: Record<string, string>) => this.onStart(name, attrs));
    this.sax.on('endElement', (name: string, selfClosing: boolean) => this.onEnd(name, selfClosing));
    this.sax.on('text', (text: string) => this.onText(text));
    this.queue = [];
    this.stanzaBytes = 0;
    this.scanner = new MarkupScanner();
    this.tagEvents = this.depth = 0;
    this.header = this.cur = null;
  }

  /** Feeds bytes from the network. Never throws, unless a handler does (then the parser stops too). */
  write(chunk: Buffer): void {
    const gen = this.gen;
    for (let off = 0; off < chunk.length && !this.stopped(gen); off += SLICE) {
      const part = chunk.subarray(off, off + SLICE);
      this.stanzaBytes += part.length;
      let err = this.feed(part);
      // RFC 6120 §13.12: checked while the element accumulates, not when it completes.
      if (!err && this.stanzaBytes > this.opts.maxStanzaSize) err = new StreamError('policy-violation', 'stanza too large');
      this.dispatch(gen);
      if (err && !this.stopped(gen)) this.fail(err);
    }
    // RFC 7395 §3.3.3: each WebSocket message is one complete element.
    if (this.ws && !this.stopped(gen) && (this.depth > 0 || !this.scanner.idle)) {
      this.fail(notWellFormed('incomplete WebSocket message'));
    }
  }

  private stopped(gen: number): boolean {
    return gen !== this.gen || this.failed || this.phase === 'closed';
  }

  private fail(err: StreamError): void {
    this.failed = true;
    this.queue = [];
    this.handlers.error(err);
  }

  /** Delivers the events of one slice; a handler may reset() (which drops the rest) or throw (which stops the parser). */
  private dispatch(gen: number): void {
    const events = this.queue;
    this.queue = [];
    for (const ev of events) {
      if (gen !== this.gen || this.failed) return;
      try {
        if (ev.kind === 'stanza') this.handlers.stanza(ev.el);
        else if (ev.kind === 'start') this.handlers.streamStart(ev.attrs);
        else this.handlers.streamEnd();
      } catch (e) {
        this.failed = true;
        throw e;
      }
    }
  }

  /** Decodes one slice (RFC 6120 §11.6), checks its characters, scans it and passes complete tags to ltx. */
  private feed(part: Buffer): StreamError | null {
    let s: string;
    try {
      s = this.decoder.decode(part, { stream: true });
    } catch {
      // RFC 6120 §4.9.3.22: "...or has otherwise improperly encoded the stream (e.g., by violating the rules of the [UTF-8] encoding)".
      return new StreamError('unsupported-encoding', 'invalid UTF-8');
    }
    const bad = s.search(BAD_CHAR);
    const scanned = this.scanner.scan(bad < 0 ? s : s.slice(0, bad));
    return this.flush() ?? scanned ?? (bad < 0 ? null : notWellFormed('character not allowed in XML'));
  }

  /** Gives ltx everything up to the last complete tag; its events are queued, its errors returned. */
  private flush(): StreamError | null {
    const ready = this.scanner.take();
    if (!ready) return null;
    this.tagEvents = 0;
    try {
      this.sax.write(ready.text);
    } catch (e) {
      if (e instanceof StreamError) return e;
      // ltx's unescaping throws "Illegal XML entity/character" on &foo; and &#0;; anything else is our bug, not the client's.
      const illegal = e instanceof Error && e.message.startsWith('Illegal XML');
      return illegal ? notWellFormed('bad entity or character reference') : new StreamError('internal-server-error', 'parser failure');
    }
    return this.phase !== 'closed' && this.tagEvents !== ready.tags ? notWellFormed('malformed tag') : null;
  }

  // ltx callbacks: they run inside sax.write(), so they throw StreamErrors and queue events.

  private onStart(name: string, attrs: Record<string, string>): void {
    this.tagEvents++;
    if (this.phase === 'closed') return;
    if (!QNAME.test(name)) throw notWellFormed('invalid element name');
    for (const key in attrs) if (!QNAME.test(key)) throw notWellFormed('invalid attribute name');
    if (this.phase === 'header' && !this.ws) return this.openStream(name, attrs);
    if (this.depth >= this.opts.maxDepth) throw new StreamError('policy-violation', 'elements nested too deep');
    const el = new Element(name);
    el.attrs = attrs;
    if (this.cur) {
      el.parent = this.cur;
      this.cur.children.push(el);
    }
    this.cur = el;
    this.depth++;
    if (name.includes(':')) this.bindPrefix(el);
  }

  private onEnd(name: string, selfClosing: boolean): void {
    if (!selfClosing) this.tagEvents++;
    if (this.phase === 'closed') return;
    const el = this.cur;
    if (!el) {
      if (this.phase !== 'open' || this.ws || name !== this.headerName) throw notWellFormed('unexpected end tag');
      this.phase = 'closed';
      this.queue.push({ kind: 'end' });
      return;
    }
    if (name !== el.name) throw notWellFormed('mismatched end tag');
    this.cur = el.parent;
    this.depth--;
    if (!this.cur) this.topLevel(el);
  }

  private onText(text: string): void {
    if (this.phase === 'closed') return;
    if (this.cur) this.cur.children.push(text);
    else if (NON_WS.test(text)) throw notWellFormed('text outside of a stanza');
  }

  /** RFC 6120 §4.8: {http://etherx.jabber.org/streams}stream (any bound prefix), default namespace jabber:client. */
  private openStream(name: string, attrs: Record<string, string>): void {
    const colon = name.indexOf(':');
    const ns = colon < 0 ? attrs.xmlns : attrs[`xmlns:${name.slice(0, colon)}`];
    if (name.slice(colon + 1) !== 'stream' || ns !== NS_STREAMS) throw new StreamError('invalid-namespace', 'expected a stream header');
    if (attrs.xmlns !== NS_CLIENT) throw new StreamError('invalid-namespace', `the default namespace must be ${NS_CLIENT}`);
    checkVersion(attrs.version);
    this.header = attrs;
    this.headerName = name;
    this.phase = 'open';
    this.stanzaBytes = 0;
    this.queue.push({ kind: 'start', attrs });
  }

  /** XML-NAMES §5: a prefix bound on the stream header is copied to the top-level element; an unbound one is not well-formed. */
  private bindPrefix(el: Element): void {
    const key = `xmlns:${el.name.slice(0, el.name.indexOf(':'))}`;
    let top = el;
    for (let e: Element | null = el; e; e = e.parent) {
      if (e.attrs[key] !== undefined) return;
      top = e;
    }
    const ns = this.header?.[key];
    if (ns === undefined) throw notWellFormed('unbound namespace prefix');
    top.attrs[key] = ns;
  }

  /** A depth-1 element is complete: a stanza, or the WebSocket <open/>/<close/> (RFC 7395 §3.3). */
  private topLevel(el: Element): void {
    this.stanzaBytes = 0;
    if (this.ws && el.attrs.xmlns === NS_FRAMING && (el.name === 'open' || el.name === 'close')) {
      if (el.name === 'close') {
        this.phase = 'closed';
        this.queue.push({ kind: 'end' });
        return;
      }
      checkVersion(el.attrs.version);
      this.phase = 'open';
      this.queue.push({ kind: 'start', attrs: el.attrs });
      return;
    }
    if (this.phase === 'header') throw new StreamError('invalid-namespace', 'expected <open/>');
    if (el.attrs.xmlns === undefined) el.attrs.xmlns = NS_CLIENT; // the stream's default namespace (checked in openStream)
    this.queue.push({ kind: 'stanza', el });
  }
}
