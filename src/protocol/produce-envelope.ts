import {ValueType} from '../storage/types.js';
import type {ParsedMessage} from './produce-body.js';

/**
 * The inverse of parseProduceBody for a batch: `{"messages":[...]}` with each value's exact bytes (JSON values are
 * embedded as they arrived). A broker uses it to forward part of a batch to another partition's leader.
 */
export function encodeProduceBatch(messages: readonly ParsedMessage[]): Buffer {
  const parts: string[] = [];
  for (const m of messages) {
    const fields: string[] = [];
    if (m.valueType === ValueType.Binary) fields.push(`"value_base64":${JSON.stringify(m.value.toString('base64'))}`);
    else fields.push(`"value":${m.value.toString('utf8')}`);
    if (m.id !== null) fields.push(`"id":${JSON.stringify(m.id)}`);
    if (m.key !== null) fields.push(`"key":${JSON.stringify(m.key)}`);
    if (m.producer !== null) fields.push(`"producer":${JSON.stringify(m.producer)}`);
    if (m.priority !== 0) fields.push(`"priority":${m.priority}`);
    if (m.headers !== null) fields.push(`"headers":${m.headers}`);
    if (m.partition !== undefined) fields.push(`"partition":${m.partition}`);
    if (m.notBefore > 0) fields.push(`"not_before":${m.notBefore}`);
    if (m.delayMs !== undefined && m.delayMs > 0) fields.push(`"delay_ms":${m.delayMs}`);
    parts.push(`{${fields.join(',')}}`);
  }
  return Buffer.from(`{"messages":[${parts.join(',')}]}`);
}
