import type {MqClient} from '../../src/index.js';

export interface ReadToken {
  token: string;
  /** epoch ms */
  expires_at_ms: number;
}

/**
 * Mints a short-lived read token for one session's stream (POST /v1/tokens/ephemeral, docs/security.md): it opens
 * only `topic`'s stream, only with `key=`, until it expires, on any broker of the cluster. The page gets this, never
 * the server's own token.
 */
export async function mintReadToken(mq: MqClient, o: {topic: string; key: string; ttlMs: number}): Promise<ReadToken> {
  const res = await mq.http.request<{token: string; expires_at_ms: number}>({
    method: 'POST',
    path: '/v1/tokens/ephemeral',
    body: JSON.stringify({topic: o.topic, key: o.key, ttl_ms: o.ttlMs}),
  });
  return {token: res.body.token, expires_at_ms: res.body.expires_at_ms};
}
