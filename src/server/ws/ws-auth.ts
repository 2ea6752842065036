import type {IncomingMessage} from 'node:http';

/**
 * The token a connection acts with: its upgrade request's `Authorization: Bearer`, or `?access_token=` (auth-hook.ts
 * takes that out of req.query; it stays in the URL). Produce frames carry it as `Authorization: Bearer`, so they are
 * checked and rate-limited exactly as HTTP produces; subscribe frames are checked with auth-hook.ts's authorizeTopic.
 */
export function connectionToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (typeof h === 'string') return /^Bearer\s+(\S+)\s*$/i.exec(h)?.[1];
  const q = new URL(req.url ?? '/', 'http://x').searchParams.getAll('access_token');
  return q.length > 0 ? q[q.length - 1] : undefined;
}
