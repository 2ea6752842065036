import {MqError} from '../errors.js';

/** What a grant allows. `admin` implies every other action (and cluster-wide operations when its resource is `*`). */
export type GrantAction = 'produce' | 'consume' | 'receipts' | 'admin';

const ACTIONS: readonly GrantAction[] = ['produce', 'consume', 'receipts', 'admin'];

/**
 * One parsed grant: an action on a resource, which is a topic name (a producer id for `receipts`), or a prefix of
 * one (`orders*`; `*` alone is every name).
 */
export interface Grant {
  action: GrantAction;
  resource: string;
  prefix: boolean;
}

const RESOURCE = /^[^\s*]{0,256}\*?$/;

/** `produce:orders`, `consume:orders*`, `receipts:svc-*`, `admin` (= `admin:*`). */
export function parseGrant(text: string): Grant {
  const i = text.indexOf(':');
  const action = (i < 0 ? text : text.slice(0, i)) as GrantAction;
  const resource = i < 0 ? '*' : text.slice(i + 1);
  if (!ACTIONS.includes(action)) throw new MqError('INVALID_FIELD', `grant ${JSON.stringify(text)}: the action must be one of ${ACTIONS.join(', ')}`, {field: 'grants'});
  if (i < 0 && action !== 'admin') throw new MqError('INVALID_FIELD', `grant ${JSON.stringify(text)} needs a topic: ${action}:NAME or ${action}:PREFIX*`, {field: 'grants'});
  if (resource.length === 0 || !RESOURCE.test(resource)) {
    throw new MqError('INVALID_FIELD', `grant ${JSON.stringify(text)}: the resource is a name, a prefix ending in * or * alone (no spaces, at most 256 characters)`, {field: 'grants'});
  }
  const prefix = resource.endsWith('*');
  return {action, resource: prefix ? resource.slice(0, -1) : resource, prefix};
}

export function parseGrants(list: readonly string[]): Grant[] {
  return list.map(parseGrant);
}

export function formatGrant(g: Grant): string {
  return g.action === 'admin' && g.prefix && g.resource === '' ? 'admin' : `${g.action}:${g.resource}${g.prefix ? '*' : ''}`;
}

function covers(g: Grant, name: string): boolean {
  if (!g.prefix) return g.resource === name;
  // internal topics (__groups, __receipts) are reached only by a grant that names them: `*` is not enough
  if (name.startsWith('__') && !g.resource.startsWith('__')) return false;
  return name.startsWith(g.resource);
}

/**
 * Whether the grants allow `action` on `resource`; `resource` null is a cluster-wide operation (tokens, cluster
 * membership), which only `admin` on `*` allows.
 */
export function allows(grants: readonly Grant[], action: GrantAction, resource: string | null): boolean {
  return grants.some((g) => {
    if (g.action !== action && g.action !== 'admin') return false;
    if (resource === null) return g.prefix && g.resource === '';
    return covers(g, resource);
  });
}
