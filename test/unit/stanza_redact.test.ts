import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'ltx';
import { loggable } from '../../src/stanza/redact.js';

test('loggable: passwords at any depth are redacted in a copy; the rest and the original are intact', () => {
  const iq = parse("<iq type='set' id='r1'><query xmlns='jabber:iq:register'><username>alice</username><password>s3cret</password></query></iq>");
  const line = loggable(iq);
  assert.doesNotMatch(line, /s3cret/);
  assert.match(line, /<username>alice<\/username><password>\[redacted\]<\/password>/);
  assert.match(iq.toString(), /s3cret/, 'the stanza itself is unchanged');
  assert.equal(loggable(parse("<message><body>password</body></message>")), '<message><body>password</body></message>');
});
