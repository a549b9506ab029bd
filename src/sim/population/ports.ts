/**
 * The client's ephemeral ports. A port is taken at connect() and stays taken while the
 * client's socket exists, TIME_WAIT included: that is what makes an active-closing client
 * run out of ports, and connect() then fails with EADDRNOTAVAIL.
 *
 * Free ports are handed out least-recently-freed first (a FIFO ring), which is the most
 * forgiving order: a port comes back only after every other free port has been used. Linux
 * (inet_hash_connect) starts from a hashed offset and walks the range, which gives the same
 * count of ports in use and the same exhaustion time; only which number is picked differs.
 */
export class PortPool {
  readonly low: number;
  readonly high: number;
  private readonly free: Uint16Array;
  private head = 0;
  private length: number;

  constructor(low: number, high: number) {
    this.low = low;
    this.high = high;
    this.free = new Uint16Array(high - low + 1);
    for (let i = 0; i < this.free.length; i++) this.free[i] = low + i;
    this.length = this.free.length;
  }

  get size(): number {
    return this.free.length;
  }

  get inUse(): number {
    return this.free.length - this.length;
  }

  /** A free port, or -1 when every port is in use (EADDRNOTAVAIL). */
  take(): number {
    if (this.length === 0) return -1;
    const port = this.free[this.head]!;
    this.head = this.head + 1 === this.free.length ? 0 : this.head + 1;
    this.length--;
    return port;
  }

  release(port: number): void {
    let tail = this.head + this.length;
    if (tail >= this.free.length) tail -= this.free.length;
    this.free[tail] = port;
    this.length++;
  }
}
