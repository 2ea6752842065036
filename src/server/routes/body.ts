import {z} from 'zod';
import {MqError} from '../../errors.js';

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let v = body;
  for (const k of path) v = v !== null && typeof v === 'object' && Object.hasOwn(v, k) ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/** Validates a JSON body with zod, mapping its issues to mq's stable codes: unknown keys, missing fields, wrong types. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') throw new MqError('UNKNOWN_FIELD', `unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}${path ? ` in ${path}` : ''}`);
  if (issue.code === 'invalid_type' && valueAt(body, issue.path) === undefined) throw new MqError('MISSING_FIELD', `${path} is required`, {field: path});
  throw new MqError('INVALID_FIELD', `${path || 'body'}: ${issue.message}`, {field: path});
}
