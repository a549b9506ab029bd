/**
 * The virtual clock's agenda: a binary min-heap of pending simulator events, ordered by
 * time and then by the order they were scheduled, so equal times run first-come first-served
 * and a run is deterministic.
 */
export class SimEvent {
  constructor(
    /** Virtual time, integer microseconds. */
    public t: number,
    /** Scheduling order: the tie-breaker. */
    public n: number,
    public kind: number,
    /** Index of the endpoint this event happens at (0 client, 1 server). */
    public ep: number,
    /** Segment flags for an arrival; timer generation; step index. */
    public a: number,
    public seq: number,
    public ack: number,
    public len: number,
    /** For an arrival: the segment's index among the trace's segment records (see SegmentRecord.causeSegment); else -1. */
    public seg: number,
  ) {}
}

function before(x: SimEvent, y: SimEvent): boolean {
  return x.t < y.t || (x.t === y.t && x.n < y.n);
}

export class EventQueue {
  private readonly items: SimEvent[] = [];
  private counter = 0;

  get size(): number {
    return this.items.length;
  }

  push(t: number, kind: number, ep: number, a: number, seq = 0, ack = 0, len = 0, seg = -1): void {
    const ev = new SimEvent(t, this.counter++, kind, ep, a, seq, ack, len, seg);
    const items = this.items;
    let i = items.length;
    items.push(ev);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (!before(ev, parent)) break;
      items[i] = parent;
      i = p;
    }
    items[i] = ev;
  }

  /** The earliest event, left in place. */
  peek(): SimEvent | undefined {
    return this.items[0];
  }

  pop(): SimEvent | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    const n = items.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && before(items[r]!, items[l]!)) c = r;
      if (!before(items[c]!, last)) break;
      items[i] = items[c]!;
      i = c;
    }
    items[i] = last;
    return top;
  }
}
