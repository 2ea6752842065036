import type {FastifyInstance} from 'fastify';
import type {Broker} from '../../broker/broker.js';
import {createMetrics, type BrokerMetrics} from '../../observe/metrics.js';
import {observerFor} from '../../observe/observer.js';
import {buildStatus, type StatusExtras} from '../../observe/status.js';
import {UI_CSP, UI_HTML} from '../../observe/web-ui.js';
import {MqError} from '../../errors.js';
import {corsHeaders} from '../cors.js';
import {intParam, onlyParams, openEventStream} from '../http-util.js';

/** A slow status reader gets no more snapshots until it has read these: a snapshot replaces the last, so drop it. */
const STREAM_QUEUED_BYTES_MAX = 1024 * 1024;
/** Streams that tick together share one snapshot: many open dashboards cost one /status build per tick, not many. */
const SNAPSHOT_REUSE_MS = 100;

/**
 * Observability endpoints: `/metrics` (Prometheus), `/status/stream` (SSE of /status) and `/ui` (the web dashboard),
 * plus the hooks they need: request durations for the histogram, and ending status streams when the server stops.
 */
export function observeRoutes(app: FastifyInstance, broker: Broker, extras: () => StatusExtras): void {
  const observer = observerFor(broker);
  let metrics: BrokerMetrics | undefined;
  const loadMetrics = async (): Promise<BrokerMetrics> => (metrics ??= await createMetrics(broker, observer, extras));
  let shared = {at: -Infinity, json: ''};
  const snapshotJson = (): string => {
    const now = performance.now();
    if (now - shared.at > SNAPSHOT_REUSE_MS) shared = {at: now, json: JSON.stringify(buildStatus(broker, extras()))};
    return shared.json;
  };

  // loaded before the first request, so the request histogram misses nothing
  app.addHook('onReady', async () => void (await loadMetrics()));
  app.addHook('onResponse', async (req, reply) => {
    metrics?.observeRequest(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  // status streams never end by themselves: end them so a graceful stop does not wait for its timeout
  app.addHook('preClose', async () => observer.stop());

  // like every other endpoint, a known path with the wrong method is 405 with Allow (app.ts does it for the rest)
  for (const url of ['/metrics', '/ui', '/status/stream']) {
    app.route({
      method: ['POST', 'PUT', 'PATCH', 'DELETE'],
      url,
      handler: async (req, reply) => {
        void reply.header('allow', 'GET');
        throw new MqError('METHOD_NOT_ALLOWED', `${req.method} is not supported on ${url} (allowed: GET)`);
      },
    });
  }

  app.get('/metrics', async (req, reply) => {
    onlyParams(req.query as Record<string, unknown>, []);
    const m = await loadMetrics();
    return reply.type(m.contentType).header('cache-control', 'no-store').send(await m.scrape());
  });

  app.get('/ui', async (req, reply) => {
    onlyParams(req.query as Record<string, unknown>, []);
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', UI_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-cache')
      .send(UI_HTML);
  });

  app.get<{Querystring: Record<string, string>}>('/status/stream', async (req, reply) => {
    onlyParams(req.query, ['interval_ms', 'heartbeat_ms']);
    const intervalMs = Math.min(Math.max(intParam(req.query, 'interval_ms', 2000), 250), 60_000);
    const heartbeatMs = Math.min(Math.max(intParam(req.query, 'heartbeat_ms', broker.config.streamHeartbeatMs), 100), 120_000);
    const res = openEventStream(reply, corsHeaders(broker.config.corsOrigins, req.headers.origin));
    let seq = 0;
    let stalledSince: number | undefined;
    const send = (): void => {
      if (res.writableLength > STREAM_QUEUED_BYTES_MAX) {
        // a reader that takes nothing for streamStallTimeoutMs is cut off, as on topic streams
        stalledSince ??= broker.clock.monotonic();
        if (broker.clock.monotonic() - stalledSince > broker.config.streamStallTimeoutMs) res.destroy();
        return;
      }
      stalledSince = undefined;
      try {
        res.write(`id: ${++seq}\nevent: status\ndata: ${snapshotJson()}\n\n`);
      } catch (err) {
        // runs on a timer: an exception here would take the broker down, so end this stream instead
        broker.logger.warn({err}, 'status stream failed');
        end();
      }
    };
    const ticker = setInterval(send, intervalMs);
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
    const end = (): void => {
      clearInterval(ticker);
      clearInterval(heartbeat);
      observer.statusStreams.delete(end);
      if (!res.writableEnded) res.end();
    };
    observer.statusStreams.add(end);
    res.once('close', end);
    res.write(`retry: ${Math.max(1000, intervalMs)}\n\n`);
    send();
  });
}
