// One scripted client that does what a Tsung user of the kit does (the same stanzas as Tsung 1.7's
// ts_jabber_common, the same "wait for this regexp" acks as templates/_login_strict.xml), one step
// at a time. Run before the load: a server that cannot serve the scenarios is reported with the
// failing step and what it answered, instead of being timed.
import net from 'node:net';
import tls from 'node:tls';

export interface Step {
  step: string;
  ok: boolean;
  ms: number;
  /** what the server sent for this step (trimmed), or why it failed */
  got: string;
  /** false: no reply came (a Tsung user would wait there until its 10-minute idle timeout) */
  answered: boolean;
}

const STEP_TIMEOUT_MS = 5000;

/** XEP-0077 registration as Tsung sends it (`<resource>` included), on a fresh stream. */
export async function probeRegister(port: number, domain: string, user: string, pass: string): Promise<Step[]> {
  const c = await Client.connect(port);
  try {
    if (!(await c.step('stream open', streamHeader(domain), /<\/stream:features>/))) return c.steps;
    await c.step('register (XEP-0077)', `<iq id='reg1' type='set' ><query xmlns='jabber:iq:register'><username>${user}` +
      `</username><resource>tsung</resource><password>${pass}</password></query></iq>`,
      /type=.result|type=.error/, (got) => !/type=.error/.test(got));
    return c.steps;
  } finally {
    c.close();
  }
}

/**
 * Login as in the kit (optionally with STARTTLS), then, unless `loginOnly`, one step of each
 * scenario: roster get, initial presence, a chat message to oneself, a roster set and remove;
 * then the stream close.
 */
export async function probeSession(port: number, domain: string, user: string, pass: string,
  opts: { starttls?: boolean; loginOnly?: boolean } = {}): Promise<Step[]> {
  const c = await Client.connect(port);
  try {
    const ok = await runSession(c, domain, user, pass, opts.starttls ?? false, opts.loginOnly ?? false);
    if (ok) await c.step('close stream', '</stream:stream>', /<\/stream:stream>/, undefined, true);
    return c.steps;
  } finally {
    c.close();
  }
}

async function runSession(c: Client, domain: string, user: string, pass: string, starttls: boolean,
  loginOnly: boolean): Promise<boolean> {
  const features = /<\/stream:features>/;
  if (!(await c.step('stream open', streamHeader(domain), features))) return false;
  if (starttls) {
    if (!(await c.step('starttls', '<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>', /<proceed|<failure/,
      (got) => /<proceed/.test(got)))) return false;
    if (!(await c.startTls())) return false;
    if (!(await c.step('stream open (TLS)', streamHeader(domain), features))) return false;
  }
  const plain = Buffer.from(`\0${user}\0${pass}`).toString('base64');
  const loggedIn =
    (await c.step('SASL PLAIN', `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN' >${plain}</auth>`,
      /<success|<failure/, (got) => /<success/.test(got))) &&
    (await c.step('stream restart', streamHeader(domain), features)) &&
    (await c.step('bind', `<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>tsung` +
      '</resource></bind></iq>', /<\/jid>|type=.error/, (got) => /<\/jid>/.test(got))) &&
    (await c.step('session', "<iq type='set' id='sess1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>",
      /type=.result|type=.error/, (got) => !/type=.error/.test(got)));
  if (!loggedIn || loginOnly) return loggedIn;
  // logged in: every further step is tried even if one fails, so that the report lists them all
  const jid = `${user}@${domain}`;
  const rest: [string, string, RegExp | null, ((got: string) => boolean)?][] = [
    ['roster get', "<iq id='rg1' type='get'><query xmlns='jabber:iq:roster'></query></iq>",
      /type=.result|type=.error/, (got) => !/type=.error/.test(got)],
    ['initial presence', "<presence id='p1' />", null],
    ['chat message to self', `<message id='m1' to='${jid}' type='chat'><body>probe-m1</body></message>`,
      /<message\b[\s\S]*?probe-m1[\s\S]*?<\/message>/, (got) => !/type=['"]error['"]/.test(got)],
    ['roster set', "<iq type='set' id='add1'><query xmlns='jabber:iq:roster'><item jid='contact1@" +
      `${domain}' name='Contact 1'><group>Bench</group></item></query></iq>`, iqReply('add1'), isResult],
    ['roster remove', "<iq type='set' id='rm1'><query xmlns='jabber:iq:roster'><item jid='contact1@" +
      `${domain}' subscription='remove'/></query></iq>`, iqReply('rm1'), isResult],
  ];
  for (const [name, data, until, ok] of rest) {
    await c.step(name, data, until, ok);
    if (c.isClosed) return false;
  }
  return true;
}

function streamHeader(domain: string): string {
  return `<?xml version='1.0'?><stream:stream  id='1' to='${domain}' xmlns='jabber:client' version='1.0' ` +
    "xmlns:stream='http://etherx.jabber.org/streams'>";
}

/** The opening tag of the `<iq>` answering id, attributes in any order. */
function iqReply(id: string): RegExp {
  return new RegExp(`<iq\\b[^>]*\\bid=['"]${id}['"][^>]*>`);
}

function isResult(tag: string): boolean {
  return /\btype=['"]result['"]/.test(tag);
}

class Client {
  readonly steps: Step[] = [];
  private buf = '';
  private closed = false;
  private wake: (() => void) | undefined;

  private constructor(private sock: net.Socket) {
    this.listen(sock);
  }

  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }

  /**
   * Sends `data`, then waits until what arrived matches `until` (null: no reply expected) and
   * records the step; `ok` judges the matched text. Text up to the match is consumed.
   */
  async step(name: string, data: string, until: RegExp | null, ok: (got: string) => boolean = () => true,
    closeIsOk = false): Promise<boolean> {
    const t0 = performance.now();
    this.sock.write(data);
    if (!until) return this.record(name, true, performance.now() - t0, '', true);
    const m = await this.waitFor(until);
    const ms = performance.now() - t0;
    if (!m) {
      const why = (this.closed ? 'connection closed' : `no reply in ${STEP_TIMEOUT_MS} ms`) +
        (this.buf ? `; received: ${this.buf}` : '; nothing received');
      return this.record(name, closeIsOk && this.closed, ms, why, false);
    }
    let got = this.buf.slice(0, m.index + m[0].length);
    this.buf = this.buf.slice(m.index + m[0].length);
    const good = ok(m[0]);
    if (!good) {
      // show the whole answer: from the start of the matching element, plus what follows
      await new Promise((r) => setTimeout(r, 200));
      got = got.slice(got.lastIndexOf('<', m.index)) + this.buf;
    }
    return this.record(name, good, ms, got, true);
  }

  private record(step: string, ok: boolean, ms: number, got: string, answered: boolean): boolean {
    this.steps.push({ step, ok, ms: Math.round(ms), got: got.trim().slice(0, 600), answered });
    return ok;
  }

  async startTls(): Promise<boolean> {
    const t0 = performance.now();
    this.sock.removeAllListeners('data');
    const secure = tls.connect({ socket: this.sock, rejectUnauthorized: false });
    const err = await new Promise<Error | undefined>((resolve) => {
      secure.once('secureConnect', () => resolve(undefined));
      secure.once('error', resolve);
    });
    const got = err ? String(err) : `${secure.getProtocol()} ${secure.getCipher().name}`;
    if (!this.record('TLS handshake', !err, performance.now() - t0, got, true)) return false;
    this.sock = secure;
    this.listen(secure);
    return true;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.sock.destroy();
  }

  private listen(s: net.Socket): void {
    s.setEncoding('utf8');
    s.on('data', (d: string) => ((this.buf += d), this.wake?.()));
    s.on('close', () => ((this.closed = true), this.wake?.()));
    s.on('error', () => undefined);
  }

  private async waitFor(re: RegExp): Promise<RegExpExecArray | null> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const m = re.exec(this.buf);
      if (m || this.closed || Date.now() >= deadline) return m;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.wake = () => (clearTimeout(timer), resolve());
      });
    }
  }
}

/** One line per step: `ok  12 ms  bind` and, for a failure, what came back. */
export function formatSteps(steps: Step[]): string {
  return steps
    .map((s) => `    ${s.ok ? 'ok  ' : 'FAIL'} ${String(s.ms).padStart(5)} ms  ${s.step}${s.ok ? '' : `\n         got: ${s.got}`}`)
    .join('\n');
}

export function failedStep(steps: Step[]): Step | undefined {
  return steps.find((s) => !s.ok);
}

export function failedSteps(steps: Step[]): Step[] {
  return steps.filter((s) => !s.ok);
}
