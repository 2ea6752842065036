import type {MqClient} from './client.js';

/** A token as listed (never with its secret). */
export interface WireToken {
  name: string;
  grants: string[];
  created_at: string;
  messages_per_s: number | null;
  bytes_per_s: number | null;
}

export interface WireEphemeralToken {
  token: string;
  topic: string;
  key: string | null;
  ttl_ms: number;
  expires_at: string;
  expires_at_ms: number;
}

export interface TokenSpec {
  name: string;
  grants: string[];
  messagesPerS?: number;
  bytesPerS?: number;
}

/** Token administration (needs an admin token) and ephemeral read tokens (need consume on the topic). */
export class TokenApi {
  constructor(private readonly client: MqClient) {}

  /** Creates a token; the answer carries its secret, which nothing can show again. */
  async create(spec: TokenSpec): Promise<WireToken & {token: string}> {
    const body = {name: spec.name, grants: spec.grants, messages_per_s: spec.messagesPerS, bytes_per_s: spec.bytesPerS};
    return (await this.client.http.request<WireToken & {token: string}>({method: 'POST', path: '/v1/tokens', body: JSON.stringify(body)})).body;
  }

  async list(): Promise<WireToken[]> {
    return (await this.client.http.request<{tokens: WireToken[]}>({method: 'GET', path: '/v1/tokens', idempotent: true})).body.tokens;
  }

  async revoke(name: string): Promise<void> {
    await this.client.http.request({method: 'DELETE', path: `/v1/tokens/${encodeURIComponent(name)}`});
  }

  /** A short-lived token that opens streams of one topic (and one key), for a browser's EventSource URL. */
  async ephemeral(topic: string, opts: {key?: string; ttlMs?: number} = {}): Promise<WireEphemeralToken> {
    const body = {topic, key: opts.key, ttl_ms: opts.ttlMs};
    return (await this.client.http.request<WireEphemeralToken>({method: 'POST', path: '/v1/tokens/ephemeral', body: JSON.stringify(body)})).body;
  }
}
