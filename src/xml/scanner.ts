// RFC 6120 §11 (XML usage): the pre-scanner in front of ltx's SAX tokenizer.
//
// ltx silently skips comments, processing instructions and DOCTYPEs, loses the text that follows a
// CDATA section, and re-copies its unfinished token on every write (quadratic when a long token
// arrives in small pieces). This scanner looks only at markup boundaries (indexOf and sticky
// regexps, no per-character JS): it rejects restricted XML (§11.1), validates and drops the XML
// declaration, turns CDATA sections into escaped text, and releases text only up to the end of the
// last complete tag, so ltx never has to buffer anything between writes.
import { escapeXMLText } from 'ltx';
import { StreamError } from './stream_error.js';

const TEXT = 0, TAG = 1, QUOTE = 2, CDATA = 3;
const CDATA_OPEN = '<![CDATA[';
const MAX_DECL = 256;
const TAG_STOP = /[<>"']/g;
const QUOTE_STOP: Record<string, RegExp> = { '"': /[<"]/g, "'": /[<']/g };
// XML 1.0 §2.8 XMLDecl.
const XML_DECL = /^<\?xml\s+version\s*=\s*(["'])1\.[0-9]+\1(?:\s+encoding\s*=\s*(["'])([A-Za-z][\w.-]*)\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\4)?\s*\?>$/;

/** XML 1.0 §2.8, RFC 6120 §11.5, §11.6: only `<?xml version='1.x'?>`, in UTF-8. Any other PI is restricted (§11.1). */
function checkDecl(decl: string): StreamError | null {
  if (!/^<\?xml[\s?]/.test(decl)) return new StreamError('restricted-xml', 'processing instruction');
  const m = XML_DECL.exec(decl);
  if (!m) return new StreamError('not-well-formed', 'malformed XML declaration');
  const encoding = m[3];
  return encoding && !/^utf-?8$/i.test(encoding) ? new StreamError('unsupported-encoding', 'UTF-8 is required') : null;
}

export class MarkupScanner {
  private mode = TEXT;
  private quote = '"';
  /** Unscanned tail of the previous text (a split `<`, `<![CDATA[`, `]]>` or XML declaration). */
  private carry = '';
  /** Scanned text not yet released; its first `ready` pieces end with a complete tag. */
  private pending: string[] = [];
  private ready = 0;
  private readyTags = 0;
  /** The XML declaration may only open the stream (XML 1.0 §2.8). */
  private declAllowed = true;

  /** True when everything scanned so far is released or whitespace, outside any tag: a complete WebSocket message. */
  get idle(): boolean {
    return this.mode === TEXT && this.carry === '' && this.pending.every((p) => /^[ \t\r\n]*$/.test(p));
  }

  /**
   * Releases the text that ends with the last complete tag, and how many tags it holds.
   * Returns null when no tag has completed since the last call.
   */
  take(): { text: string; tags: number } | null {
    if (this.ready === 0) return null;
    const out = { text: this.pending.splice(0, this.ready).join(''), tags: this.readyTags };
    this.ready = this.readyTags = 0;
    return out;
  }

  /** Scans the next decoded text. Returns the first restricted or malformed construct found (then the scanner is unusable). */
  scan(s: string): StreamError | null {
    const t = this.carry + s;
    let pos = 0;
    let from = 0;
    let hold = t.length;
    const commit = (to: number, escape = false): void => {
      if (to > from) this.pending.push(escape ? escapeXMLText(t.slice(from, to)) : t.slice(from, to));
      from = to;
    };
    while (pos < t.length) {
      if (this.mode === TEXT) {
        const lt = t.indexOf('<', pos);
        if (lt < 0 || lt + 1 === t.length) {
          if (lt >= 0) hold = lt;
          break;
        }
        const c = t[lt + 1];
        if (c === '!') {
          if (t.startsWith(CDATA_OPEN, lt)) {
            commit(lt);
            from = pos = lt + CDATA_OPEN.length;
            this.mode = CDATA;
            this.declAllowed = false;
          } else if (t.length - lt < CDATA_OPEN.length && CDATA_OPEN.startsWith(t.slice(lt))) {
            hold = lt;
            break;
          } else return new StreamError('restricted-xml', 'comment or DTD'); // RFC 6120 §11.1
        } else if (c === '?' && this.declAllowed) {
          const end = t.indexOf('?>', lt);
          if (end < 0) {
            if (t.length - lt > MAX_DECL) return new StreamError('not-well-formed', 'malformed XML declaration');
            hold = lt;
            break;
          }
          const err = checkDecl(t.slice(lt, end + 2));
          if (err) return err;
          commit(lt); // the declaration itself is not given to ltx
          from = pos = end + 2;
          this.declAllowed = false;
        } else if (c === '?') {
          return new StreamError('restricted-xml', 'processing instruction'); // RFC 6120 §11.1
        } else {
          this.mode = TAG;
          this.declAllowed = false;
          pos = lt + 1;
        }
      } else if (this.mode === CDATA) {
        const end = t.indexOf(']]>', pos);
        if (end < 0) {
          hold = Math.max(pos, t.length - 2);
          commit(hold, true);
          break;
        }
        commit(end, true);
        from = pos = end + 3;
        this.mode = TEXT;
      } else {
        const re = this.mode === TAG ? TAG_STOP : (QUOTE_STOP[this.quote] as RegExp);
        re.lastIndex = pos;
        const m = re.exec(t);
        if (!m) break;
        pos = m.index + 1;
        const c = m[0];
        if (c === '<') return new StreamError('not-well-formed', "'<' inside a tag");
        if (this.mode === QUOTE) this.mode = TAG;
        else if (c !== '>') {
          this.mode = QUOTE;
          this.quote = c;
        } else {
          this.mode = TEXT;
          commit(pos);
          this.ready = this.pending.length;
          this.readyTags++;
        }
      }
    }
    if (this.mode !== CDATA) commit(hold);
    this.carry = t.slice(hold);
    return null;
  }
}
