import type {CommittedRes, GroupFetchRes} from '../lib/model.js';
import type {WorkloadContext} from './context.js';

export interface GroupWorkloadOptions {
  group: string;
  topic: string;
  members: number;
  sessionTimeoutMs: number;
  /** Chance per fetch that a member crashes (abandons its session without leaving) and a new one joins. */
  crashP: number;
}

type Raw = {topic: string; partition: number; offset: number};

function committedOf(body: {partitions?: Raw[]; offsets?: Raw[]}, topic: string): CommittedRes {
  const rows = (body.partitions ?? body.offsets ?? []) as Array<{topic: string; partition: number; committed?: number | null; offset?: number | null}>;
  return {committed: rows.filter((r) => r.topic === topic).map((r) => ({partition: r.partition, offset: (r.committed !== undefined ? r.committed : r.offset) ?? null}))};
}

export async function createGroup(ctx: WorkloadContext, o: GroupWorkloadOptions, url: string): Promise<void> {
  const r = await ctx.http.request(url, 'POST', '/v1/groups', {body: {name: o.group, topics: [o.topic], mode: 'stream', from: 'earliest', session_timeout_ms: o.sessionTimeoutMs}, timeoutMs: 10_000});
  if (r.type !== 'ok') throw new Error(`creating group ${o.group}: ${JSON.stringify(r.body ?? r.error)}`);
}

/**
 * A stream-group member: join, fetch, commit exactly what it was given, again; it rejoins when its session is
 * gone (a coordinator failover forgets sessions) and now and then crashes without leaving.
 */
async function member(ctx: WorkloadContext, o: GroupWorkloadOptions, m: number, on: () => boolean): Promise<void> {
  const random = ctx.random(3000 + m);
  let memberId: string | undefined;
  let life = 0;
  // the next offset after what this member received, per partition: sent with each fetch, so a fetch whose answer
  // was lost (client-cuts) is served again instead of skipped
  const received = new Map<number, number>();
  while (on()) {
    const node = ctx.pick(random);
    if (node === undefined) {
      await ctx.pause(50);
      continue;
    }
    const url = ctx.cluster.clientUrl(node);
    if (!memberId) {
      const j = await ctx.op('g-join', {client: `m${m}-${life}`}, node, () => ctx.http.request(url, 'POST', `/v1/groups/${o.group}/join`, {body: {client_id: `m${m}-${life}`}, timeoutMs: 5000}));
      if (j.type === 'ok') {
        memberId = j.body.member_id as string;
        received.clear();
      }
      else await ctx.pause(100);
      continue;
    }
    const id = memberId;
    const f = await ctx.op('g-fetch', {member: id}, node, () => ctx.http.request(url, 'POST', `/v1/groups/${o.group}/fetch`, {body: {member_id: id, max_messages: 100, wait_ms: 200, positions: [...received].map(([partition, offset]) => ({topic: o.topic, partition, offset}))}, timeoutMs: 5000}), (x): GroupFetchRes => ({
      member: id,
      generation: x.body.generation,
      assignment: (x.body.assignment as Raw[]).map((a) => a.partition),
      messages: (x.body.messages as Array<Raw & {id: string | null}>).filter((msg) => msg.topic === o.topic).map((msg) => ({partition: msg.partition, offset: msg.offset, id: msg.id})),
    }));
    if (f.type !== 'ok') {
      if (f.error?.code === 'UNKNOWN_MEMBER') memberId = undefined;
      await ctx.pause(100);
      continue;
    }
    if (random.next() < o.crashP && !ctx.draining) {
      // gone without a word: the coordinator notices when the session times out
      memberId = undefined;
      life++;
      continue;
    }
    const next = new Map<number, number>();
    for (const msg of f.body.messages as Raw[]) next.set(msg.partition, Math.max(next.get(msg.partition) ?? 0, msg.offset + 1));
    for (const [partition, offset] of next) received.set(partition, offset);
    if (next.size === 0) continue;
    const req = {member: id, generation: f.body.generation as number, offsets: [...next].map(([partition, offset]) => ({partition, offset}))};
    const body = {member_id: id, generation: req.generation, offsets: req.offsets.map((x) => ({topic: o.topic, ...x}))};
    const c = await ctx.op('g-commit', req, node, () => ctx.http.request(url, 'POST', `/v1/groups/${o.group}/commit`, {body, timeoutMs: 5000}), (x) => committedOf(x.body, o.topic));
    if (c.error?.code === 'UNKNOWN_MEMBER') memberId = undefined;
  }
}

/** Reads the group's committed offsets (describe) now and then: observations for the never-regress check. */
async function describer(ctx: WorkloadContext, o: GroupWorkloadOptions, on: () => boolean): Promise<void> {
  const random = ctx.random(3999);
  while (on()) {
    const node = ctx.pick(random);
    if (node !== undefined) await describe(ctx, o, node);
    await ctx.pause(300);
  }
}

export async function describe(ctx: WorkloadContext, o: GroupWorkloadOptions, node: number, direct = false): Promise<CommittedRes | undefined> {
  const url = direct ? ctx.cluster.directUrl(node)! : ctx.cluster.clientUrl(node);
  const d = await ctx.op('g-committed', {}, node, () => ctx.http.request(url, 'GET', `/v1/groups/${o.group}`, {timeoutMs: 5000}), (x) => committedOf(x.body, o.topic));
  return d.type === 'ok' ? committedOf(d.body, o.topic) : undefined;
}

/**
 * Starts the members and the describer. `stop` ends them and waits until every call in flight has its answer: the
 * final describe must come after the last commit, or a commit acknowledged after it would look lost.
 */
export function startGroups(ctx: WorkloadContext, o: GroupWorkloadOptions): {loops: Array<Promise<void>>; stop(): Promise<void>} {
  let stopped = false;
  const on = (): boolean => ctx.running && !stopped;
  const loops = [...Array.from({length: o.members}, (_, m) => member(ctx, o, m, on)), describer(ctx, o, on)];
  return {
    loops,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}
