/**
 * A client-side SCRAM-SHA-256 mechanism (RFC 7677) for @xmpp/client, which ships only
 * SCRAM-SHA-1 and PLAIN; it checks the server signature so a wrong server-final fails.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

const hmac = (key: Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

export class ScramSha256 {
  static Mechanism = ScramSha256;
  // On the prototype: the SASL factory reads `Mechanism.prototype.name`.
  get name(): string {
    return 'SCRAM-SHA-256';
  }
  get clientFirst(): boolean {
    return true;
  }
  private stage: 'initial' | 'challenge' | 'final' = 'initial';
  private clientFirstBare = '';
  private challengeText = '';
  private serverSignature = '';

  response(cred: { username: string; password: string }): string {
    if (this.stage === 'initial') {
      this.clientFirstBare = `n=${cred.username},r=${randomBytes(12).toString('base64')}`;
      this.stage = 'challenge';
      return `n,,${this.clientFirstBare}`;
    }
    if (this.stage === 'challenge') {
      const values = Object.fromEntries(this.challengeText.split(',').map((kv) => [kv[0], kv.slice(2)]));
      const salted = pbkdf2Sync(cred.password, Buffer.from(values.s ?? '', 'base64'), Number(values.i), 32, 'sha256');
      const clientKey = hmac(salted, 'Client Key');
      const storedKey = createHash('sha256').update(clientKey).digest();
      const withoutProof = `c=biws,r=${values.r}`;
      const authMessage = `${this.clientFirstBare},${this.challengeText},${withoutProof}`;
      const signature = hmac(storedKey, authMessage);
      const proof = Buffer.from(clientKey.map((b, i) => b ^ (signature[i] as number)));
      this.serverSignature = hmac(hmac(salted, 'Server Key'), authMessage).toString('base64');
      this.stage = 'final';
      return `${withoutProof},p=${proof.toString('base64')}`;
    }
    return '';
  }

  challenge(chal: string): this {
    if (this.stage === 'final') {
      if (chal !== `v=${this.serverSignature}`) throw new Error('SCRAM-SHA-256: bad server signature');
    } else {
      this.challengeText = chal;
    }
    return this;
  }
}
