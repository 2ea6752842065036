import type {FastifyRequest} from 'fastify';
import type {Broker} from '../broker/broker.js';
import type {GrantAction} from './grants.js';

/** One permission a request needs: an action on a topic (a producer id for receipts), or cluster-wide (null). */
export interface Need {
  action: GrantAction;
  resource: string | null;
}

export type RouteRule =
  /** Answers anyone (liveness, readiness, the join handshake that carries its own proof). */
  | {kind: 'public'}
  /** Monitoring: public per --public-status, else any valid token. */
  | {kind: 'status'}
  /** Any valid token (listings); `ephemeral`: an ephemeral one too, checked later per topic (the WebSocket). */
  | {kind: 'authenticated'; ephemeral?: boolean}
  | {
      kind: 'grants';
      need: (req: FastifyRequest, broker: Broker) => Need[];
      /** Also accepts an ephemeral read token (header or ?access_token=). */
      ephemeral?: boolean;
      /** Counts against the principal's produce rate limits. */
      produce?: boolean;
    };

type Req = FastifyRequest & {params: Record<string, string>};

const param = (req: FastifyRequest, name: string): string => (req as Req).params[name] ?? '';
const admin: RouteRule = {kind: 'grants', need: () => [{action: 'admin', resource: null}]};
const onTopic = (action: GrantAction, opts: {ephemeral?: boolean; produce?: boolean} = {}): RouteRule => ({kind: 'grants', need: (req) => [{action, resource: param(req, 'topic')}], ...opts});
const onProducer = (): RouteRule => ({kind: 'grants', need: (req) => [{action: 'receipts', resource: param(req, 'producer')}]});

function bodyJson(req: FastifyRequest): Record<string, unknown> {
  if (!Buffer.isBuffer(req.body)) return {};
  try {
    const doc = JSON.parse(req.body.toString('utf8')) as unknown;
    return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
  } catch {
    return {}; // the handler reports the bad body (after the check, which then needs the cluster-wide grant)
  }
}

/**
 * A group names its topics: the caller needs the action on each of them. A group unknown here (none, or created a
 * moment ago and not yet replicated to this broker) needs only a valid token: the handler answers GROUP_NOT_FOUND,
 * or forwards to the group's coordinator, which knows it.
 */
const onGroup = (action: GrantAction): RouteRule => ({
  kind: 'grants',
  need: (req, broker) => (broker.groups.coordinator.store.groups.get(param(req, 'group'))?.def.topics ?? []).map((t) => ({action, resource: t})),
});

/** Group creation: consume on every topic it names, produce on an explicit dead-letter topic. */
const groupCreate: RouteRule = {
  kind: 'grants',
  need: (req) => {
    const b = bodyJson(req);
    const topics = Array.isArray(b.topics) ? b.topics.filter((t): t is string => typeof t === 'string') : [];
    const needs: Need[] = topics.map((t) => ({action: 'consume', resource: t}));
    if (typeof b.dead_letter_topic === 'string') needs.push({action: 'produce', resource: b.dead_letter_topic});
    return needs.length > 0 ? needs : [{action: 'admin', resource: null}];
  },
};

const topicCreate: RouteRule = {
  kind: 'grants',
  need: (req) => {
    const name = bodyJson(req).name;
    return [{action: 'admin', resource: typeof name === 'string' ? name : null}];
  },
};

const ephemeralCreate: RouteRule = {
  kind: 'grants',
  need: (req) => {
    const topic = bodyJson(req).topic;
    return [{action: 'consume', resource: typeof topic === 'string' ? topic : null}];
  },
};

/**
 * Every route and what it needs (docs/security.md has this table for people). A route missing here needs
 * cluster-wide admin: a new endpoint is closed until someone decides who may call it.
 */
const RULES: Record<string, RouteRule> = {
  'GET /health': {kind: 'public'},
  'GET /ready': {kind: 'public'},
  'POST /v1/cluster/join': {kind: 'public'},
  'GET /status': {kind: 'status'},
  'GET /status/stream': {kind: 'status'},
  'GET /metrics': {kind: 'status'},
  'GET /ui': {kind: 'status'},
  'GET /v1/cluster': {kind: 'status'},
  'DELETE /v1/cluster/brokers/:id': admin,
  'POST /v1/cluster/rebalance': admin,
  'GET /v1/debug/replica/:topic/:partition': onTopic('admin'),
  'GET /v1/topics': {kind: 'authenticated'},
  'POST /v1/topics': topicCreate,
  'GET /v1/topics/:topic': {kind: 'authenticated'},
  'PATCH /v1/topics/:topic': onTopic('admin'),
  'DELETE /v1/topics/:topic': onTopic('admin'),
  'POST /v1/topics/:topic/messages': onTopic('produce', {produce: true}),
  'POST /v1/topics/:topic/redrive': onTopic('admin'),
  'GET /v1/topics/:topic/partitions/:partition/messages': onTopic('consume'),
  'GET /v1/topics/:topic/stream': onTopic('consume', {ephemeral: true}),
  // one connection, many topics: each subscribe frame is checked (authorizeTopic in auth-hook.ts)
  'GET /v1/ws': {kind: 'authenticated', ephemeral: true},
  'GET /v1/receipts/:producer': onProducer(),
  'GET /v1/receipts/:producer/stream': onProducer(),
  'GET /v1/receipts/:producer/callback': onProducer(),
  'PUT /v1/receipts/:producer/callback': onProducer(),
  'DELETE /v1/receipts/:producer/callback': onProducer(),
  'GET /v1/groups': {kind: 'authenticated'},
  'POST /v1/groups': groupCreate,
  'GET /v1/groups/:group': onGroup('consume'),
  'DELETE /v1/groups/:group': onGroup('admin'),
  'POST /v1/groups/:group/reset': onGroup('admin'),
  'POST /v1/tokens': admin,
  'GET /v1/tokens': admin,
  'DELETE /v1/tokens/:name': admin,
  'POST /v1/tokens/ephemeral': ephemeralCreate,
};
for (const action of ['join', 'heartbeat', 'leave', 'fetch', 'commit', 'ack', 'progress', 'nack']) RULES[`POST /v1/groups/:group/${action}`] = onGroup('consume');

/** The rule for a matched route (`routeUrl` undefined: no route matched, the 404/405 handler answers). */
export function ruleFor(method: string, routeUrl: string | undefined): RouteRule {
  if (routeUrl === undefined) return {kind: 'authenticated'};
  if (method === 'OPTIONS' || method === 'HEAD') return RULES[`GET ${routeUrl}`] ?? admin;
  return RULES[`${method} ${routeUrl}`] ?? admin;
}

/** Routes a browser opens without headers: they take `?access_token=` (ephemeral tokens only). */
export function takesAccessToken(rule: RouteRule): boolean {
  return (rule.kind === 'grants' || rule.kind === 'authenticated') && rule.ephemeral === true;
}
