/**
 * CORS for browsers reading streams and APIs from another origin. Off by default (same origin only): with no tokens
 * yet, a permissive default would let any web page read a local broker. `corsOrigins` is "*" or a comma-separated list.
 */
export function corsHeaders(allowed: string, origin: string | undefined): Record<string, string> {
  if (!origin || allowed.trim() === '') return {};
  const list = allowed.split(',').map((s) => s.trim());
  if (!list.includes('*') && !list.includes(origin)) return {};
  return {
    'access-control-allow-origin': list.includes('*') ? '*' : origin,
    'access-control-allow-headers': 'content-type, authorization, last-event-id',
    'access-control-allow-methods': 'GET, POST, PATCH, DELETE, OPTIONS',
    'access-control-expose-headers': 'retry-after',
    'access-control-max-age': '600',
    vary: 'Origin',
  };
}
