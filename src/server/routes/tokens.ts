import type {FastifyInstance} from 'fastify';
import {z} from 'zod';
import type {Broker} from '../../broker/broker.js';
import {validateTopicName} from '../../broker/topic-config.js';
import type {TokenRecord} from '../../cluster/metadata/metadata-state.js';
import {principalOf} from '../../security/auth-hook.js';
import {ADMIN_NAME} from '../../security/auth-service.js';
import {authFor} from '../../security/auth-service.js';
import {formatGrant, parseGrants} from '../../security/grants.js';
import {hashToken, newTokenSecret} from '../../security/token-secret.js';
import {jsonObjectBody, onlyParams} from '../http-util.js';
import {metadataTarget, serveOrForward} from '../route-to-leader.js';
import {parseBody} from './body.js';

const rate = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const createSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'token names are [A-Za-z0-9._-]{1,64}'),
  grants: z.array(z.string().max(300)).min(1).max(100),
  messages_per_s: rate.optional(),
  bytes_per_s: rate.optional(),
});
const ephemeralSchema = z.strictObject({
  topic: z.string(),
  key: z.string().max(1024).optional(),
  ttl_ms: z.number().int().positive().optional(),
});
const EPHEMERAL_TTL_DEFAULT_MS = 5 * 60_000;

function wireToken(t: TokenRecord): Record<string, unknown> {
  return {name: t.name, grants: t.grants, created_at: new Date(t.createdAt).toISOString(), messages_per_s: t.messagesPerS ?? null, bytes_per_s: t.bytesPerS ?? null};
}

/**
 * Access tokens (docs/security.md): created and revoked through the metadata group (so every broker knows them, and
 * they survive restarts), listed without secrets; and ephemeral read tokens for browsers, signed statelessly.
 */
export function tokenRoutes(app: FastifyInstance, broker: Broker): void {
  app.post('/v1/tokens', async (req, reply) => {
    onlyParams(req.query as Record<string, unknown>, []);
    const b = parseBody(createSchema, jsonObjectBody(req));
    // normalised, so `admin:*` and `admin` list the same
    const grants = parseGrants(b.grants).map(formatGrant);
    if (await serveOrForward(broker, req, reply, metadataTarget())) return reply;
    const secret = newTokenSecret();
    const token: TokenRecord = {name: b.name, hash: hashToken(secret).toString('hex'), grants, createdAt: broker.clock.now()};
    if (b.messages_per_s) token.messagesPerS = b.messages_per_s;
    if (b.bytes_per_s) token.bytesPerS = b.bytes_per_s;
    await broker.metadata.propose({op: 'token.create', token});
    return reply.code(201).send({...wireToken(token), token: secret});
  });

  app.get('/v1/tokens', async (req) => {
    onlyParams(req.query as Record<string, unknown>, []);
    return {tokens: [...broker.metadata.state.tokens.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map(wireToken)};
  });

  app.delete<{Params: {name: string}}>('/v1/tokens/:name', async (req, reply) => {
    onlyParams(req.query as Record<string, unknown>, []);
    if (await serveOrForward(broker, req, reply, metadataTarget())) return reply;
    await broker.metadata.propose({op: 'token.revoke', name: req.params.name});
    return reply.code(204).send();
  });

  app.post('/v1/tokens/ephemeral', async (req, reply) => {
    onlyParams(req.query as Record<string, unknown>, []);
    const b = parseBody(ephemeralSchema, jsonObjectBody(req));
    const topic = validateTopicName(b.topic);
    const p = principalOf(req);
    const issuer = p?.kind === 'token' ? p.name : p?.kind === 'anonymous' ? '@anonymous' : ADMIN_NAME;
    const {token, claims, ttlMs} = authFor(broker).issueEphemeral(issuer, topic, b.key, b.ttl_ms ?? EPHEMERAL_TTL_DEFAULT_MS);
    return reply.code(201).send({token, topic, key: claims.key ?? null, ttl_ms: ttlMs, expires_at: new Date(claims.exp).toISOString(), expires_at_ms: claims.exp});
  });
}
