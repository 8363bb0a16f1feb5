/**
 * FIFO queue with O(1) push and shift: a mailbox must not slow down as it grows
 * (Array.prototype.shift copies once the array leaves V8's fast path).
 */
export class Queue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    // Compact once the consumed prefix dominates, keeping the amortised cost O(1).
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes and returns the items that match, oldest first; the others keep their order. */
  takeWhere(match: (item: T) => boolean): T[] {
    const taken: T[] = [];
    const kept: T[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i] as T;
      (match(item) ? taken : kept).push(item);
    }
    this.items = kept;
    this.head = 0;
    return taken;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
