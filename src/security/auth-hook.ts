import type {FastifyInstance, FastifyRequest} from 'fastify';
import type {Broker} from '../broker/broker.js';
import {PEER_AUTH} from '../cluster/internal-auth.js';
import {MqError} from '../errors.js';
import {parseProduceBody} from '../protocol/produce-body.js';
import {ruleFor, takesAccessToken, type Need, type RouteRule} from './auth-route-grants.js';
import {authFor, type AuthService, type Principal} from './auth-service.js';
import type {EphemeralClaims} from './ephemeral-token.js';
import {allows} from './grants.js';

const principals = new WeakMap<FastifyRequest, Principal>();

/** Who the request acts for (undefined on public routes with auth on and no token given). */
export function principalOf(req: FastifyRequest): Principal | undefined {
  return principals.get(req);
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : '';
}

/** Takes `access_token` out of the query (routes check their parameters); it stays in req.url for forwarding. */
function takeAccessToken(req: FastifyRequest): string | undefined {
  const q = req.query as Record<string, unknown> | undefined;
  const v = q?.access_token;
  if (v === undefined) return undefined;
  delete q!.access_token;
  return Array.isArray(v) ? String(v[v.length - 1]) : String(v);
}

function ruleOf(req: FastifyRequest): RouteRule {
  return ruleFor(req.method, req.routeOptions.url);
}

/**
 * Authentication and authorization for every route (docs/security.md). onRequest identifies the caller before any
 * body is read (a request without a valid token costs one hash); preHandler checks grants that depend on the body
 * (group and topic creation), verifies broker-signed requests (their MAC covers the body) and charges produce
 * limits. Registered before the cluster routing hook, so nothing is forwarded unauthorized.
 */
export function installAuth(app: FastifyInstance, broker: Broker): void {
  const auth = authFor(broker);

  app.addHook('onRequest', async (req) => {
    // CORS preflights never carry credentials (app.ts answers them)
    if (req.method === 'OPTIONS') return;
    const rule = ruleOf(req);
    const query = takesAccessToken(rule) ? takeAccessToken(req) : undefined;
    if (!auth.enabled) {
      principals.set(req, {kind: 'anonymous', source: req.ip});
      return;
    }
    if (rule.kind === 'public' || (rule.kind === 'status' && auth.statusPublic)) return;
    // a broker's signature covers the body: checked once it is read
    if (req.headers[PEER_AUTH] !== undefined) return;
    const header = bearer(req);
    if (header === '') throw auth.unauthorized('the Authorization header must be "Bearer <token>"');
    const token = header ?? query;
    if (token === undefined) throw auth.unauthorized('this endpoint needs a token: send "Authorization: Bearer <token>" (docs/security.md)');
    if (header === undefined && !token.startsWith('mqe_')) throw auth.unauthorized('only ephemeral tokens (POST /v1/tokens/ephemeral) may travel in a URL; send others in the Authorization header');
    principals.set(req, auth.authenticate(token));
  });

  // RFC 6750: a 401 names the scheme it wants
  app.addHook('onSend', async (_req, reply, payload) => {
    if (reply.statusCode === 401) void reply.header('www-authenticate', 'Bearer');
    return payload;
  });

  app.addHook('preHandler', async (req) => {
    const rule = ruleOf(req);
    let principal = principals.get(req);
    // with auth off a signed request still matters: it was charged to its client on the broker that forwarded it
    if ((principal === undefined || principal.kind === 'anonymous') && req.headers[PEER_AUTH] !== undefined) {
      const body = Buffer.isBuffer(req.body) && req.body.length > 0 ? req.body : undefined;
      if (broker.membership.peerAuthorized(req.method, req.url, body, req.headers[PEER_AUTH])) principals.set(req, (principal = {kind: 'peer'}));
      else if (auth.enabled) throw auth.unauthorized('the broker signature (x-mq-peer-auth) is not valid for this cluster');
    }
    if (principal === undefined || principal.kind === 'peer') return;
    if (principal.kind !== 'anonymous') authorize(auth, broker, req, rule, principal);
    if (rule.kind === 'grants' && rule.produce) charge(auth, req, principal);
  });
}

function authorize(auth: AuthService, broker: Broker, req: FastifyRequest, rule: RouteRule, p: Principal): void {
  if (rule.kind !== 'grants') {
    if (p.kind === 'ephemeral' && !(rule.kind === 'authenticated' && rule.ephemeral)) throw forbidden(auth, 'an ephemeral token only opens streams of its topic');
    return;
  }
  const needs = rule.need(req, broker);
  if (p.kind === 'ephemeral') {
    if (!rule.ephemeral) throw forbidden(auth, `this ephemeral token only opens streams of topic ${p.claims.topic}`);
    checkEphemeral(auth, p.claims, (req.params as Record<string, string>).topic ?? '', (req.query as Record<string, unknown>).key);
    return;
  }
  if (p.kind !== 'token') return;
  const missing = needs.find((n: Need) => !allows(p.grants, n.action, n.resource));
  if (missing) {
    const need = missing.resource === null ? missing.action : `${missing.action}:${missing.resource}`;
    throw forbidden(auth, `token ${p.name} lacks the grant ${need}`, need);
  }
}

function checkEphemeral(auth: AuthService, claims: EphemeralClaims, topic: string, key: unknown): void {
  if (topic !== claims.topic) throw forbidden(auth, `this ephemeral token only opens streams of topic ${claims.topic}`, `consume:${topic}`);
  if (claims.key !== undefined && key !== claims.key) throw forbidden(auth, `this ephemeral token is for key ${JSON.stringify(claims.key)}: ask for key=${encodeURIComponent(claims.key)}`);
}

/**
 * For endpoints that name their topics later than the request line (a WebSocket's subscribe frames): checks `action`
 * on `topic` (and an ephemeral token's key) for the token of `req`, verified again now, so a revoke or an expiry
 * applies to an open connection's next frame. Throws UNAUTHORIZED, TOKEN_EXPIRED or FORBIDDEN; no-op with auth off.
 */
export function authorizeTopic(broker: Broker, req: FastifyRequest, action: 'consume' | 'produce', topic: string, key?: string): void {
  const auth = authFor(broker);
  const known = principals.get(req);
  if (!auth.enabled || known?.kind === 'peer') return;
  const header = bearer(req);
  const query = new URL(req.url, 'http://x').searchParams.getAll('access_token');
  const token = header || query[query.length - 1];
  if (!token) throw auth.unauthorized('this connection has no token: send "Authorization: Bearer <token>" or ?access_token= (ephemeral) on the upgrade');
  if (!header && !token.startsWith('mqe_')) throw auth.unauthorized('only ephemeral tokens (POST /v1/tokens/ephemeral) may travel in a URL; send others in the Authorization header');
  const p = auth.authenticate(token);
  if (p.kind === 'ephemeral') {
    if (action !== 'consume') throw forbidden(auth, 'an ephemeral token only reads');
    checkEphemeral(auth, p.claims, topic, key);
    return;
  }
  if (p.kind === 'token' && !allows(p.grants, action, topic)) throw forbidden(auth, `token ${p.name} lacks the grant ${action}:${topic}`, `${action}:${topic}`);
}

function forbidden(auth: AuthService, message: string, need?: string): MqError {
  auth.counts.forbidden++;
  return new MqError('FORBIDDEN', message, need === undefined ? undefined : {need});
}

/** Produce limits: the batch's messages and bytes, refused whole (nothing written) when over. */
function charge(auth: AuthService, req: FastifyRequest, p: Principal): void {
  const limits = p.kind === 'token' ? p.limits : p.kind === 'anonymous' ? auth.anonymousLimits() : {};
  if (!limits.messagesPerS && !limits.bytesPerS) return;
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  let messages = 1;
  if (limits.messagesPerS) {
    try {
      const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      messages = parseProduceBody(body, type === 'application/json' ? 'json' : 'ndjson', auth.broker.config).messages.length;
    } catch {
      return; // the handler answers the malformed body, writing nothing
    }
  }
  const who = p.kind === 'token' ? `token ${p.name}` : `address ${p.kind === 'anonymous' ? p.source : '?'}`;
  // a refusal carries retry_after_s, which the error handler (app.ts) sends as Retry-After
  auth.limiter.charge(who, limits, messages, body.length);
}
