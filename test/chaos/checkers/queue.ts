import {pair, type Completed, type Op} from '../lib/history.js';
import type {AppendReq, AppendRes, ConfirmReq, ConfirmRes, Delivery, FinalQueue, LeaseReq, LeaseRes} from '../lib/model.js';

/**
 * Work queues (one queue group): every acknowledged enqueue ends in exactly one terminal state (acked or dead-lettered),
 * nothing is delivered after its ack, two leases of one message never overlap, a stale lease cannot confirm, dead
 * letters are made once, and every terminal state has its receipt. Operations: `enqueue` (AppendReq/AppendRes),
 * `lease` (LeaseReq/LeaseRes), `ack`, `nack`, `progress` (ConfirmReq/ConfirmRes, `progress` with `leaseMs`).
 */
export interface QueueReport {
  enqueued: number;
  /** Acknowledged enqueues with no terminal state after the drain. */
  stuck: string[];
  /** Both acked and dead-lettered, or dead-lettered twice. */
  twoTerminalStates: string[];
  /** Delivered by a fetch sent after an ack of the message had been answered. */
  deliveryAfterAck: Array<{id: string; lease: string}>;
  /** A second lease handed out while an earlier, unreleased lease of the message was certainly still running. */
  leaseOverlaps: Array<{id: string; first: string; second: string; overlapMs: number}>;
  /** A confirm with a superseded lease that the broker accepted. */
  staleConfirms: Array<{id: string; lease: string; op: string; status: string}>;
  /** Dead letters with the wrong delivery count, deliveries past max_deliveries, dead letters of unknown ids. */
  badDeadLetters: Array<{id: string; detail: string}>;
  /** A terminal state without its receipt, or a receipt without its terminal state, or a receipt twice. */
  receiptProblems: Array<{id: string; detail: string}>;
  /** Figures. */
  deliveries: number;
  acked: number;
  deadLettered: number;
  redeliveries: number;
}

interface Lease extends Delivery {
  start: number;
  end: number;
  leaseMs: number;
  /** Certain lower bound of when the broker lets this lease run out (monotonic ms of the history). */
  until: number;
  /** When a nack (or ack) of this lease was first sent: from then on it may have been released. */
  releasedAt: number;
  /** Progress calls answered `extended`: the lease was current at some point before `end`, and runs until `until`. */
  extensions: Array<{end: number; until: number}>;
}

export function checkQueue(ops: readonly Op[], final: FinalQueue): QueueReport {
  const done = pair(ops);
  const enqueued = new Set<string>();
  for (const e of done as Array<Completed<AppendReq, AppendRes | undefined>>) {
    if (e.f === 'enqueue' && e.type === 'ok' && e.res) for (const a of e.res.acks) enqueued.add(a.id);
  }
  const leases = new Map<string, Lease>();
  const byId = new Map<string, Lease[]>();
  let deliveries = 0;
  for (const l of done.filter((c) => c.f === 'lease' && c.type === 'ok') as Array<Completed<LeaseReq, LeaseRes>>) {
    for (const d of l.res.deliveries) {
      deliveries++;
      const lease: Lease = {...d, start: l.start, end: l.end, leaseMs: l.req.leaseMs, until: l.start + l.req.leaseMs, releasedAt: Number.POSITIVE_INFINITY, extensions: []};
      leases.set(d.lease, lease);
      (byId.get(d.id) ?? byId.set(d.id, []).get(d.id)!).push(lease);
    }
  }
  const confirms = done.filter((c) => c.f === 'ack' || c.f === 'nack' || c.f === 'progress') as Array<Completed<ConfirmReq & {leaseMs?: number}, ConfirmRes | undefined>>;
  const ackedAt = new Map<string, number>();
  for (const c of confirms) {
    const lease = leases.get(c.req.lease);
    // only an extension the broker granted counts (not `already_done`, not a refusal)
    if (c.f === 'progress' && c.type === 'ok' && c.res?.status === 'extended' && lease && c.req.leaseMs) lease.extensions.push({end: c.end, until: c.start + c.req.leaseMs});
    if ((c.f === 'nack' || c.f === 'ack') && lease) lease.releasedAt = Math.min(lease.releasedAt, c.start);
    if (c.f === 'ack' && c.type === 'ok' && c.res?.status === 'acked') ackedAt.set(c.req.id, Math.min(ackedAt.get(c.req.id) ?? Number.POSITIVE_INFINITY, c.end));
  }

  const deliveryAfterAck: QueueReport['deliveryAfterAck'] = [];
  const leaseOverlaps: QueueReport['leaseOverlaps'] = [];
  const badDeadLetters: QueueReport['badDeadLetters'] = [];
  let redeliveries = 0;
  for (const [id, ls] of byId) {
    ls.sort((a, b) => a.count - b.count || a.end - b.end);
    redeliveries += ls.length - 1;
    const t = ackedAt.get(id);
    for (const l of ls) {
      if (t !== undefined && l.start > t) deliveryAfterAck.push({id, lease: l.lease});
      if (l.count > final.maxDeliveries) badDeadLetters.push({id, detail: `delivery ${l.count} past max_deliveries ${final.maxDeliveries}`});
    }
    for (let i = 0; i < ls.length; i++) {
      for (let j = i + 1; j < ls.length; j++) {
        const [a, b] = [ls[i]!, ls[j]!];
        // b was granted between b.start and b.end; a certainly ran until a.until, or until an extension's end if the
        // extension was answered before b was asked for (a later one proves nothing about the time b was granted),
        // unless a was released before
        const extended = Math.max(a.until, ...a.extensions.filter((e) => e.end < b.start).map((e) => e.until));
        const held = Math.min(extended, a.releasedAt);
        if (b.end < held) leaseOverlaps.push({id, first: a.lease, second: b.lease, overlapMs: Math.round(held - b.end)});
      }
    }
  }

  const staleConfirms: QueueReport['staleConfirms'] = [];
  for (const c of confirms) {
    if (c.type !== 'ok' || !c.res || (c.res.status !== 'acked' && c.res.status !== 'extended' && c.res.status !== 'requeued')) continue;
    const mine = leases.get(c.req.lease);
    const newer = (byId.get(c.req.id) ?? []).find((l) => l.lease !== c.req.lease && (!mine || l.count > mine.count) && l.end < c.start);
    if (newer) staleConfirms.push({id: c.req.id, lease: c.req.lease, op: c.f, status: c.res.status});
  }

  const dead = new Map<string, number>();
  for (const d of final.deadLetters) {
    dead.set(d.id, (dead.get(d.id) ?? 0) + 1);
    if (d.deliveries !== final.maxDeliveries) badDeadLetters.push({id: d.id, detail: `dead-lettered after ${d.deliveries} deliveries, max_deliveries is ${final.maxDeliveries}`});
    if (!enqueued.has(d.id) && !byId.has(d.id)) badDeadLetters.push({id: d.id, detail: 'dead letter of a message never enqueued'});
  }
  const receipts = new Map<string, string[]>();
  for (const r of final.receipts) if (r.group === final.group && r.state !== 'in_progress') (receipts.get(r.id) ?? receipts.set(r.id, []).get(r.id)!).push(r.state);

  const ackSent = new Set(confirms.filter((c) => c.f === 'ack' && c.type !== 'fail').map((c) => c.req.id));
  const stuck: string[] = [];
  const twoTerminalStates: string[] = [];
  const receiptProblems: QueueReport['receiptProblems'] = [];
  const all = new Set([...enqueued, ...dead.keys(), ...receipts.keys()]);
  let acked = 0;
  for (const id of all) {
    const rs = receipts.get(id) ?? [];
    const processed = ackedAt.has(id) || rs.includes('processed');
    const d = dead.get(id) ?? 0;
    if (processed) acked++;
    if ((processed && d > 0) || d > 1) twoTerminalStates.push(id);
    // an ack whose answer was lost may have worked: without receipts such a message is not provably stuck, and with
    // receipts, once the group holds nothing, what is missing is the receipt (the message did end)
    const ambiguous = ackSent.has(id) && (!final.receiptsRead || final.backlog === 0);
    if (enqueued.has(id) && !processed && d === 0 && !ambiguous) stuck.push(id);
    if (!final.receiptsRead) continue;
    if (enqueued.has(id) && !processed && d === 0 && ambiguous) receiptProblems.push({id, detail: 'ack answer lost, the group holds nothing, and no receipt'});
    if (ackedAt.has(id) && !rs.includes('processed')) receiptProblems.push({id, detail: 'acked without a processed receipt'});
    if (d > 0 && !rs.includes('dead_lettered')) receiptProblems.push({id, detail: 'dead-lettered without a receipt'});
    if (rs.includes('dead_lettered') && d === 0) receiptProblems.push({id, detail: 'dead_lettered receipt but no dead letter'});
    if (rs.includes('processed') && !ackSent.has(id)) receiptProblems.push({id, detail: 'processed receipt without any ack sent'});
    if (rs.length > 1) receiptProblems.push({id, detail: `${rs.length} terminal receipts (${rs.join(', ')})`});
  }
  return {
    enqueued: enqueued.size,
    stuck,
    twoTerminalStates,
    deliveryAfterAck,
    leaseOverlaps,
    staleConfirms,
    badDeadLetters,
    receiptProblems,
    deliveries,
    acked,
    deadLettered: dead.size,
    redeliveries,
  };
}
