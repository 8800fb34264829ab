/**
 * What one reader of a live feed has not read yet, as an async iterator. At most `capacity`
 * values wait: past that the oldest is dropped (a live figure is superseded by the next one
 * anyway), so a reader that does not keep up costs bounded memory and holds up nobody else.
 */
export class LiveQueue<T> implements AsyncIterableIterator<T> {
  private readonly values: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private ended = false;
  /** Values dropped because the reader fell `capacity` behind. */
  dropped = 0;

  /** `onEnd` runs once, when the queue ends from either side (`end()`, or the reader's `return()`). */
  constructor(
    private readonly capacity: number,
    private readonly onEnd: () => void = () => {},
  ) {
    if (capacity < 1) throw new Error('a live queue holds at least one value');
  }

  get size(): number {
    return this.values.length;
  }

  get done(): boolean {
    return this.ended;
  }

  push(value: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value, done: false });
      return;
    }
    if (this.values.length >= this.capacity) {
      this.values.shift();
      this.dropped++;
    }
    this.values.push(value);
  }

  /** Ends the iteration after the values still waiting (`last` first joins them, when given). */
  end(last?: T): void {
    if (this.ended) return;
    if (last !== undefined) this.push(last);
    this.finish();
  }

  next(): Promise<IteratorResult<T>> {
    const value = this.values.shift();
    if (value !== undefined) return Promise.resolve({ value, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** The reader stops reading: what waits is dropped. */
  return(): Promise<IteratorResult<T>> {
    this.values.length = 0;
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.waiting && this.values.length === 0) {
      this.waiting({ value: undefined, done: true });
      this.waiting = null;
    }
    this.onEnd();
  }
}
