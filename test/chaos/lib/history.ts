/**
 * A Jepsen-style history: every client operation is an `invoke` followed by exactly one completion, `ok` (it
 * happened, with the answer), `fail` (it certainly did not happen and never will: the broker said `written: false`,
 * or the request never left), or `info` (unknown: a timeout, a cut connection, `written: "unknown"`). A timeout is
 * always `info`, never `fail`. Times are monotonic milliseconds since the run started, so a wall-clock jump on this
 * machine cannot reorder them. A logical process that ends in `info` is retired and the worker continues as a new one,
 * because its earlier request may still take effect at any later time (Jepsen's rule).
 */

export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

export interface OpError {
  code: string;
  written?: boolean | 'unknown' | null;
  status?: number | null;
}

export interface Op {
  index: number;
  /** Monotonic ms since the history began. */
  time: number;
  process: number;
  type: OpType;
  f: string;
  value?: unknown;
  /** The broker the request was sent to (through its client proxy), when there is one. */
  node?: number;
  error?: OpError;
}

/** An invocation with its completion: what the checkers work on. */
export interface Completed<Req = any, Res = any> {
  process: number;
  f: string;
  type: Exclude<OpType, 'invoke'>;
  start: number;
  end: number;
  req: Req;
  res: Res;
  node?: number;
  error?: OpError;
}

export class History {
  readonly ops: Op[] = [];
  private readonly t0: number;
  private nextProcess = 0;
  private readonly open = new Map<number, Op>();

  constructor(private readonly clock: () => number = () => performance.now()) {
    this.t0 = clock();
  }

  now(): number {
    return this.clock() - this.t0;
  }

  /** A fresh logical process id. */
  process(): number {
    return this.nextProcess++;
  }

  invoke(process: number, f: string, value?: unknown, node?: number): Op {
    if (this.open.has(process)) throw new Error(`process ${process} already has an operation in flight`);
    const op = this.push({process, type: 'invoke', f, value, ...(node === undefined ? {} : {node})});
    this.open.set(process, op);
    return op;
  }

  complete(process: number, type: Exclude<OpType, 'invoke'>, value?: unknown, error?: OpError): Op {
    const inv = this.open.get(process);
    if (!inv) throw new Error(`process ${process} has no operation in flight`);
    this.open.delete(process);
    return this.push({process, type, f: inv.f, value, ...(inv.node === undefined ? {} : {node: inv.node}), ...(error ? {error} : {})});
  }

  /** An event with no duration (a fault injected, an observation): invoke and completion at the same instant. */
  event(f: string, value?: unknown, node?: number): void {
    const p = this.process();
    this.invoke(p, f, value, node);
    this.complete(p, 'info', value);
  }

  private push(o: Omit<Op, 'index' | 'time'>): Op {
    const op: Op = {index: this.ops.length, time: this.now(), ...o};
    this.ops.push(op);
    return op;
  }

  /** Operations still in flight (at the end of a run they count as `info`). */
  pending(): Op[] {
    return [...this.open.values()];
  }

  toJsonLines(): string {
    return this.ops.map((o) => JSON.stringify(o)).join('\n') + '\n';
  }

  static fromJsonLines(text: string): Op[] {
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Op);
  }
}

/**
 * Pairs each invocation with its completion (an operation never completed becomes `info` ending at +Infinity: it
 * may take effect at any time). The completion's value is the answer; the invocation's value is the request.
 */
export function pair(ops: readonly Op[]): Completed[] {
  const open = new Map<number, Op>();
  const out: Completed[] = [];
  for (const op of ops) {
    if (op.type === 'invoke') {
      open.set(op.process, op);
      continue;
    }
    const inv = open.get(op.process);
    if (!inv) throw new Error(`completion without invocation at index ${op.index}`);
    open.delete(op.process);
    out.push({process: op.process, f: op.f, type: op.type, start: inv.time, end: op.time, req: inv.value, res: op.value, ...(inv.node === undefined ? {} : {node: inv.node}), ...(op.error ? {error: op.error} : {})});
  }
  for (const inv of open.values()) out.push({process: inv.process, f: inv.f, type: 'info', start: inv.time, end: Number.POSITIVE_INFINITY, req: inv.value, res: undefined, ...(inv.node === undefined ? {} : {node: inv.node})});
  return out.sort((a, b) => a.start - b.start);
}

/**
 * Builds synthetic histories for the checkers' unit tests: `op(process, f, req, start, end, type, res)` appends the
 * invocation and completion at the given times (the ops are sorted by time when read).
 */
export class HistoryBuilder {
  private readonly raw: Array<Omit<Op, 'index'>> = [];

  op(process: number, f: string, req: unknown, start: number, end: number, type: Exclude<OpType, 'invoke'>, res?: unknown, error?: OpError): this {
    this.raw.push({process, type: 'invoke', f, value: req, time: start});
    this.raw.push({process, type, f, value: res, time: end, ...(error ? {error} : {})});
    return this;
  }

  build(): Op[] {
    // stable by time, an invocation before a completion at the same instant
    return this.raw
      .map((o, i) => ({o, i}))
      .sort((a, b) => a.o.time - b.o.time || (a.o.type === 'invoke' ? -1 : 0) - (b.o.type === 'invoke' ? -1 : 0) || a.i - b.i)
      .map(({o}, index) => ({...o, index}));
  }
}
