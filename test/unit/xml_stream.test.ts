import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzzParams } from '../support/fuzz.js';
import type { Element } from 'ltx';
import { StreamParser, type StreamParserOptions } from '../../src/xml/stream_parser.js';
import { STREAM_ERROR_CONDITIONS, StreamError, streamErrorElement } from '../../src/xml/stream_error.js';
import { streamFooter, streamHeader, wsClose, wsOpen } from '../../src/xml/stream_header.js';
import { NS_CLIENT, NS_FRAMING, NS_STREAMS, NS_STREAM_ERRORS } from '../../src/xml/ns.js';

type Ev = ['start', Record<string, string>] | ['stanza', Element] | ['end'] | ['error', string];

function collect(options?: Partial<StreamParserOptions>, onStanza?: (el: Element, p: StreamParser) => void) {
  const events: Ev[] = [];
  const parser: StreamParser = new StreamParser(
    {
      streamStart: (attrs) => events.push(['start', attrs]),
      stanza: (el) => (events.push(['stanza', el]), onStanza?.(el, parser)),
      streamEnd: () => events.push(['end']),
      error: (err) => events.push(['error', err.condition]),
    },
    options,
  );
  const write = (...chunks: (string | Buffer)[]) => (chunks.forEach((c) => parser.write(Buffer.from(c))), events);
  return { parser, events, write };
}

const HEADER = `<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='${NS_STREAMS}' version='1.0'>`;
const kinds = (events: Ev[]) => events.map((e) => e[0]);
const errors = (events: Ev[]) => events.filter((e) => e[0] === 'error').map((e) => e[1]);
const stanzas = (events: Ev[]) => events.filter((e): e is ['stanza', Element] => e[0] === 'stanza').map((e) => e[1]);
/** Writes HEADER then `body`, returning the single error condition (or undefined). */
function errorOf(body: string | Buffer, options?: Partial<StreamParserOptions>): string | undefined {
  const errs = errors(collect(options).write(HEADER, body));
  assert.ok(errs.length <= 1, `at most one error, got ${errs.join(',')}`);
  return errs[0];
}

describe('StreamParser: happy path (RFC 6120 §4)', () => {
  it('emits the header, then each stanza of a chunk, with parent=null and the stream namespace', () => {
    const ev = collect().write(
      HEADER + `<message to='a@b' id='1'><body>x &amp; y &lt;3 &#x263A;</body></message>\n ` +
        `<iq type='get' id='2'><query xmlns='jabber:iq:roster'/></iq><presence xmlns='jabber:client'/>`,
    );
    assert.deepEqual(kinds(ev), ['start', 'stanza', 'stanza', 'stanza']);
    assert.equal((ev[0][1] as Record<string, string>).to, 'example.com');
    const [msg, iq, pres] = stanzas(ev) as [Element, Element, Element];
    assert.equal(msg.parent, null);
    assert.ok(msg.is('message', NS_CLIENT));
    assert.equal(msg.getChildText('body'), 'x & y <3 \u263a');
    assert.equal(iq.getChild('query')?.getNS(), 'jabber:iq:roster');
    assert.equal(pres.getNS(), NS_CLIENT);
  });

  it('delivers the same stanzas when the stream arrives byte by byte (multi-byte UTF-8 split)', () => {
    const input = Buffer.from(HEADER + "<message><body>ça va? 😀 日本</body><x a='é'/></message><presence/>");
    const whole = stanzas(collect().write(input)).map(String);
    const bytewise = collect();
    for (const b of input) bytewise.parser.write(Buffer.from([b]));
    assert.deepEqual(stanzas(bytewise.events).map(String), whole);
    assert.equal(stanzas(bytewise.events)[0]?.getChildText('body'), 'ça va? 😀 日本');
  });

  it('passes stream-namespace elements through, with their prefix bound', () => {
    const [el] = stanzas(collect().write(HEADER, '<stream:features><starttls/></stream:features>'));
    assert.ok(el?.is('features', NS_STREAMS));
    assert.equal(el?.getChild('starttls')?.getNS(), NS_CLIENT);
  });

  it('accepts any prefix bound to the stream namespace, and ends on the matching end tag', () => {
    const ev = collect().write(`<s:stream xmlns:s='${NS_STREAMS}' xmlns='jabber:client' version='1.0'><presence/></s:stream>`, '<junk');
    assert.deepEqual(kinds(ev), ['start', 'stanza', 'end']);
  });

  it('treats a self-closing header as start then end', () => {
    assert.deepEqual(kinds(collect().write(`<stream:stream xmlns='jabber:client' xmlns:stream='${NS_STREAMS}' version='1.0'/>`)), ['start', 'end']);
  });

  it('reset() expects a new header and drops the rest of the chunk (RFC 6120 §5.4.3.3)', () => {
    const { write, events } = collect({}, (el, p) => {
      if (el.name === 'starttls') p.reset();
    });
    write(HEADER + "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><message to='injected'/>");
    assert.deepEqual(kinds(events), ['start', 'stanza']);
    write(HEADER + '<presence/>');
    assert.deepEqual(kinds(events), ['start', 'stanza', 'start', 'stanza']);
  });

  it('turns CDATA sections into text, also when split across writes', () => {
    const [el] = stanzas(collect().write(HEADER, '<body><![CDATA[a<b>&<!--', ']', ']>tail</body>'));
    assert.equal(el?.getText(), 'a<b>&<!--tail');
  });

  it('ignores whitespace between stanzas and input after </stream:stream>', () => {
    assert.deepEqual(kinds(collect().write(HEADER, ' \n\t', '<presence/>\r\n', '</stream:stream>', '<!-- garbage')), ['start', 'stanza', 'end']);
  });
});

describe('StreamParser: encoding (RFC 6120 §11.6, §4.9.3.22)', () => {
  for (const [name, bytes] of [
    ['a stray continuation byte', [0x80]],
    ['0xFF', [0xff]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xe2, 0x82, 0x41]],
  ] as const) {
    it(`rejects ${name} with unsupported-encoding`, () => {
      assert.equal(errorOf(Buffer.concat([Buffer.from('<body>'), Buffer.from(bytes), Buffer.from('</body>')])), 'unsupported-encoding');
    });
  }
  it('accepts a genuine U+FFFD', () => assert.equal(errorOf('<body>\ufffd</body>'), undefined));
  it('rejects a non-UTF-8 encoding declaration', () => {
    assert.deepEqual(errors(collect().write(`<?xml version='1.0' encoding='ISO-8859-1'?>`)), ['unsupported-encoding']);
    assert.deepEqual(errors(collect().write(`<?xml version="1.0" encoding="utf-8"?>` + HEADER.slice(21))), []);
  });
});

describe('StreamParser: well-formedness (RFC 6120 §11, §4.9.3.13)', () => {
  for (const body of ['<body>&foo;</body>', '<body>&#0;</body>', "<a x='&bar;'/>", '<a><b></a></b>', '<a>', '</a>', '<a></stream:stream>']) {
    it(`not-well-formed: ${body}`, () => {
      const ev = collect().write(HEADER, body, body === '<a>' ? '</stream:stream>' : '');
      assert.deepEqual(errors(ev), ['not-well-formed']);
    });
  }
  for (const body of ['<a x=y/>', '<a x/>', '< a/>', '<a <b/>', "<a x='<'/>", '<a:b/>', "<1a/>", '<a b=\'1\'c/>']) {
    it(`not-well-formed where ltx is lenient: ${body}`, () => assert.equal(errorOf(body), 'not-well-formed'));
  }
  for (const ch of ['\0', '\x01', '\x08', '\x0b', '\x0c', '\x1f', '\ufffe', '\uffff']) {
    it(`not-well-formed: U+${ch.charCodeAt(0).toString(16)} in text and attributes`, () => {
      assert.equal(errorOf(`<body>a${ch}</body>`), 'not-well-formed');
      assert.equal(errorOf(`<a x='${ch}'/>`), 'not-well-formed');
    });
  }
  it('allows tab, CR and LF', () => assert.equal(errorOf("<body>\t\r\n</body><a x='\t'/>"), undefined));
  it('rejects non-whitespace text between stanzas', () => assert.equal(errorOf('<presence/>hello<presence/>'), 'not-well-formed'));
  it('rejects bytes before the stream header', () => {
    assert.deepEqual(errors(collect().write('hello' + HEADER)), ['not-well-formed']);
    assert.deepEqual(errors(collect().write(`<?xml version='1.0'?>x` + HEADER.slice(21))), ['not-well-formed']);
    assert.deepEqual(errors(collect().write(`\n  ` + HEADER)), []);
  });
  it('rejects an unbound namespace prefix', () => assert.equal(errorOf('<foo:bar/>'), 'not-well-formed'));
  it('delivers the stanzas before the error, then nothing else', () => {
    const ev = collect().write(HEADER, '<presence/><a>&foo;</a><presence/>', '<presence/>');
    assert.deepEqual(kinds(ev), ['start', 'stanza', 'error']);
  });
});

describe('StreamParser: restricted XML (RFC 6120 §11.1)', () => {
  for (const body of ['<!DOCTYPE stream>', '<!ENTITY x "y">', '<!-- hi -->', '<body><!-- hi --></body>', '<?php ?>', '<body><?pi x?></body>', "<?xml version='1.0'?>"]) {
    it(`restricted-xml: ${body}`, () => assert.equal(errorOf(body), 'restricted-xml'));
  }
  it('detects a comment split across writes', () => assert.deepEqual(errors(collect().write(HEADER, '<body><', '!', '-- x --></body>')), ['restricted-xml']));
  it('rejects a DOCTYPE before the header', () => assert.deepEqual(errors(collect().write('<!DOCTYPE x [<!ENTITY a "b">]>' + HEADER)), ['restricted-xml']));
});

describe('StreamParser: limits (RFC 6120 §13.12)', () => {
  it('rejects a stanza over maxStanzaSize with policy-violation', () => {
    assert.equal(errorOf(`<message><body>${'a'.repeat(200_000)}</body></message>`), undefined);
    assert.equal(errorOf(`<message><body>${'a'.repeat(300_000)}</body></message>`), 'policy-violation');
    assert.equal(errorOf(`<message><body>${'a'.repeat(20_000)}</body></message>`, { maxStanzaSize: 10_000 }), 'policy-violation');
  });
  it('stops endless text after ~256 KiB, without waiting for the element to end', () => {
    const { write, events } = collect();
    write(HEADER, '<message><body>');
    let sent = 0;
    while (errors(events).length === 0 && sent < 1 << 20) {
      write('x'.repeat(1024));
      sent += 1024;
    }
    assert.deepEqual(errors(events), ['policy-violation']);
    assert.ok(sent > 256 * 1024 - 2048 && sent <= 256 * 1024 + 16 * 1024, `error after ${sent} bytes`);
  });
  it('stops a 1 MiB chunk of endless text', () => assert.equal(errorOf('<message><body>' + '>'.repeat(1 << 20)), 'policy-violation'));
  it('stays linear when a long token arrives one byte per write (ltx alone takes minutes)', () => {
    const { write, events } = collect();
    write(HEADER, "<message a='");
    const start = process.hrtime.bigint();
    for (let i = 0; i < 300_000 && !errors(events).length; i++) write('>');
    assert.deepEqual(errors(events), ['policy-violation']);
    assert.ok(process.hrtime.bigint() - start < 5_000_000_000n, 'under 5 s');
  });
  it('rejects nesting deeper than maxDepth', () => {
    const nest = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
    for (const [n, maxDepth] of [[32, undefined], [4, 4]] as const) {
      assert.equal(errorOf(nest(n), maxDepth ? { maxDepth } : {}), undefined);
      assert.equal(errorOf(nest(n + 1), maxDepth ? { maxDepth } : {}), 'policy-violation');
    }
  });
});

describe('StreamParser: stream header (RFC 6120 §4.7, §4.8)', () => {
  const header = (attrs: string, name = 'stream:stream') => `<${name} ${attrs}>`;
  const NS = `xmlns:stream='${NS_STREAMS}'`;
  for (const [what, input, condition] of [
    ['wrong stream namespace', header(`xmlns='jabber:client' xmlns:stream='urn:wrong' version='1.0'`), 'invalid-namespace'],
    ['unbound stream prefix', header(`xmlns='jabber:client' version='1.0'`), 'invalid-namespace'],
    ['jabber:server content namespace', header(`xmlns='jabber:server' ${NS} version='1.0'`), 'invalid-namespace'],
    ['no default namespace', header(`${NS} version='1.0'`), 'invalid-namespace'],
    ['unprefixed stream element', header(`xmlns='${NS_STREAMS}' version='1.0'`, 'stream'), 'invalid-namespace'],
    ['wrong element name', header(`xmlns='jabber:client' ${NS} version='1.0'`, 'stream:foo'), 'invalid-namespace'],
    ['a stanza instead of a header', '<message/>', 'invalid-namespace'],
    ['missing version', header(`xmlns='jabber:client' ${NS}`), 'unsupported-version'],
    ['version 2.0', header(`xmlns='jabber:client' ${NS} version='2.0'`), 'unsupported-version'],
    ['version 0.9', header(`xmlns='jabber:client' ${NS} version='0.9'`), 'unsupported-version'],
    ['version garbage', header(`xmlns='jabber:client' ${NS} version='one'`), 'unsupported-version'],
  ] as const) {
    it(`${what} → ${condition}`, () => assert.deepEqual(errors(collect().write(input)), [condition]));
  }
  it('accepts version 1.1', () => assert.deepEqual(kinds(collect().write(header(`xmlns='jabber:client' ${NS} version='1.1'`))), ['start']));
});

describe('StreamParser: WebSocket framing (RFC 7395 §3)', () => {
  const open = `<open xmlns='${NS_FRAMING}' to='example.com' version='1.0'/>`;
  it('maps <open/> and <close/> to streamStart and streamEnd, one element per message', () => {
    const { write, events } = collect({ framing: 'websocket' });
    write(open, "<message to='a@b'><body>hi</body></message>", '<presence/>', `<close xmlns='${NS_FRAMING}'/>`);
    assert.deepEqual(kinds(events), ['start', 'stanza', 'stanza', 'end']);
    assert.equal((events[0][1] as Record<string, string>).to, 'example.com');
    assert.equal(stanzas(events)[0]?.getNS(), NS_CLIENT);
  });
  it('applies the same rules', () => {
    const ws = (...msgs: string[]) => errors(collect({ framing: 'websocket' }).write(...msgs));
    assert.deepEqual(ws(`<open xmlns='urn:wrong' version='1.0'/>`), ['invalid-namespace']);
    assert.deepEqual(ws(`<open xmlns='${NS_FRAMING}'/>`), ['unsupported-version']);
    assert.deepEqual(ws('<message/>'), ['invalid-namespace']);
    assert.deepEqual(ws(open, '<message><body>'), ['not-well-formed']);
    assert.deepEqual(ws(open, '<!-- x -->'), ['restricted-xml']);
    assert.deepEqual(errors(collect({ framing: 'websocket', maxStanzaSize: 1000 }).write(open, `<m>${'a'.repeat(20000)}</m>`)), ['policy-violation']);
  });
});

describe('StreamParser: robustness', () => {
  it('a throwing handler propagates and stops the parser', () => {
    const p = new StreamParser({ streamStart: () => { throw new Error('boom'); }, stanza() {}, streamEnd() {}, error() {} });
    assert.throws(() => p.write(Buffer.from(HEADER)), /boom/);
    assert.doesNotThrow(() => p.write(Buffer.from('<presence/>')));
  });

  const sample = HEADER + "<message to='a@b' id='x'><body>hé &amp; 😀</body><![CDATA[<z>]]></message>\n<iq type='get' id='1'><q xmlns='q'/></iq><presence/></stream:stream>";
  /** Writes `input` in pieces cut at the given offsets. */
  const writeCut = (input: Buffer, cuts: number[]) => {
    const { write } = collect();
    const points = cuts.map((c) => c % (input.length + 1)).sort((a, b) => a - b);
    return write(...[...points, input.length].map((p, i, all) => input.subarray(i ? all[i - 1] : 0, p)));
  };
  const mutation = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
    fc.tuple(fc.nat(sample.length), fc.nat(40), fc.uint8Array({ maxLength: 8 })).map(([at, del, ins]) => {
      const b = Buffer.from(sample);
      return Buffer.concat([b.subarray(0, at), Buffer.from(ins), b.subarray(Math.min(b.length, at + del))]);
    }),
  );

  it('never throws, and reports at most one valid error, last (property)', () => {
    fc.assert(
      fc.property(mutation, fc.array(fc.nat(), { maxLength: 6 }), (input, cuts) => {
        const events = writeCut(input, cuts);
        const errs = events.filter((e) => e[0] === 'error');
        assert.ok(errs.length <= 1);
        if (errs.length) {
          assert.equal(events.at(-1)?.[0], 'error');
          assert.ok((STREAM_ERROR_CONDITIONS as readonly string[]).includes(errs[0]?.[1] as string));
        }
        for (const el of stanzas(events)) assert.equal(el.parent, null);
      }),
      fuzzParams(300),
    );
  });

  it('gives the same stanzas however a valid stream is split (property)', () => {
    const expected = collect().write(sample).map((e) => (e[0] === 'stanza' ? String(e[1]) : e[0]));
    assert.deepEqual(expected.filter((e) => e === 'error'), []);
    fc.assert(
      fc.property(fc.array(fc.nat(Buffer.byteLength(sample)), { maxLength: 10 }), (cuts) => {
        const events = writeCut(Buffer.from(sample), cuts);
        assert.deepEqual(events.map((e) => (e[0] === 'stanza' ? String(e[1]) : e[0])), expected);
      }),
      fuzzParams(300),
    );
  });
});

describe('stream errors and headers (RFC 6120 §4.9, §4.7; RFC 7395)', () => {
  it('streamErrorElement builds <stream:error> with the condition and text', () => {
    const err = new StreamError('policy-violation', 'too big');
    assert.ok(err instanceof Error && err.condition === 'policy-violation' && err.text === 'too big');
    const el = streamErrorElement(err, 'websocket');
    assert.ok(el.is('error', NS_STREAMS));
    assert.ok(el.getChild('policy-violation', NS_STREAM_ERRORS));
    assert.equal(el.getChildText('text', NS_STREAM_ERRORS), 'too big');
    assert.equal(String(streamErrorElement(new StreamError('host-unknown'))), `<stream:error><host-unknown xmlns="${NS_STREAM_ERRORS}"/></stream:error>`);
  });
  it('builds the server header, footer and WebSocket forms', () => {
    assert.equal(
      streamHeader({ id: 'abc', from: "ex'ample.com" }),
      `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='${NS_STREAMS}' id='abc' from='ex&apos;ample.com' version='1.0' xml:lang='en'>`,
    );
    assert.equal(streamFooter(), '</stream:stream>');
    assert.equal(wsOpen({ id: 'i', from: 'example.com', to: 'a@example.com' }), `<open xmlns='${NS_FRAMING}' id='i' from='example.com' to='a@example.com' version='1.0' xml:lang='en'/>`);
    assert.equal(wsClose(), `<close xmlns='${NS_FRAMING}'/>`);
    assert.equal(wsClose('wss://other/'), `<close xmlns='${NS_FRAMING}' see-other-uri='wss://other/'/>`);
  });
});
