import {request} from 'undici';

export interface ReadyTargets {
  brokers: string[];
  lb: string | undefined;
}

async function getJson(url: string): Promise<{status: number; body: unknown}> {
  const r = await request(url, {headersTimeout: 2000, bodyTimeout: 2000});
  const text = await r.body.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return {status: r.statusCode, body};
}

interface ClusterDoc {
  metadata?: {leader: number | null};
  brokers?: Array<{id: number}>;
  partitions?: Array<{topic: string; partition: number; leader: number | null}>;
}

/**
 * What is not ready yet (empty when everything is): each broker's /ready, then one broker's /v1/cluster (a
 * metadata leader, every broker a member, every partition with a leader), then the lb's /ready.
 */
export async function notReady(t: ReadyTargets): Promise<string[]> {
  const waiting: string[] = [];
  for (const url of t.brokers) {
    const r = await getJson(`${url}/ready`).catch((error: Error) => ({status: 0, body: error.message}));
    if (r.status !== 200) waiting.push(`${url}/ready: ${r.status || r.body}`);
  }
  if (waiting.length) return waiting;
  const c = (await getJson(`${t.brokers[0]}/v1/cluster`)).body as ClusterDoc;
  if (c.metadata?.leader == null) waiting.push('no metadata leader yet');
  if ((c.brokers?.length ?? 0) < t.brokers.length) waiting.push(`${c.brokers?.length ?? 0} of ${t.brokers.length} brokers are members`);
  const leaderless = (c.partitions ?? []).filter((p) => p.leader == null).map((p) => `${p.topic}/${p.partition}`);
  if (leaderless.length) waiting.push(`partitions without a leader: ${leaderless.join(', ')}`);
  if (t.lb && waiting.length === 0) {
    const r = await getJson(`${t.lb}/ready`).catch((error: Error) => ({status: 0, body: error.message}));
    if (r.status !== 200) waiting.push(`${t.lb}/ready: ${r.status || r.body}`);
  }
  return waiting;
}

/** Polls until notReady() is empty; throws with what was still missing at the deadline. */
export async function waitClusterReady(t: ReadyTargets, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string[] = ['not asked yet'];
  while (Date.now() < deadline) {
    last = await notReady(t).catch((error: Error) => [error.message]);
    if (last.length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the cluster was not ready within ${timeoutMs} ms: ${last.join('; ')}`);
}
