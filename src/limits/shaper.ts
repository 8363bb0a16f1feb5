/**
 * ejabberd's shaper (shaper.erl): a token bucket of `burst_size` bytes refilled at `rate` bytes
 * per second. Reading a chunk takes its bytes; when the bucket runs dry the caller stops reading
 * the socket for as long as the refill takes. Nothing is dropped and no error is sent: the
 * client is just slowed down. Pure: the caller passes the clock.
 */
export interface ShaperSpec {
  rate: number;
  burst_size: number;
}

export class Shaper {
  private tokens: number;
  private last: number;

  constructor(private readonly spec: ShaperSpec, now: number) {
    this.tokens = spec.burst_size;
    this.last = now;
  }

  /** Takes `bytes` read at `now` (ms); returns how long to pause reading (ms), 0 for not at all. */
  update(bytes: number, now: number): number {
    const refill = ((now - this.last) * this.spec.rate) / 1000;
    this.tokens = Math.min(this.spec.burst_size, this.tokens + Math.max(0, refill)) - bytes;
    this.last = now;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.spec.rate);
  }
}
