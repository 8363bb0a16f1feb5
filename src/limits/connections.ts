/**
 * Open connections per client address, for `limits.max_connections_per_ip`. IPv4 seen through
 * a dual-stack socket (`::ffff:192.0.2.1`) counts as the IPv4 address it is.
 */
export const clientAddress = (remote: string | undefined): string =>
  remote === undefined ? 'unknown' : remote.startsWith('::ffff:') && remote.includes('.') ? remote.slice(7) : remote;

export class ConnectionCounter {
  private readonly open = new Map<string, number>();

  /** Counts one more connection from `address` unless it already has `max` (0 = no limit). */
  tryOpen(address: string, max: number): boolean {
    const n = this.open.get(address) ?? 0;
    if (max > 0 && n >= max) return false;
    this.open.set(address, n + 1);
    return true;
  }

  close(address: string): void {
    const n = (this.open.get(address) ?? 0) - 1;
    if (n > 0) this.open.set(address, n);
    else this.open.delete(address);
  }

  count(address: string): number {
    return this.open.get(address) ?? 0;
  }
}
