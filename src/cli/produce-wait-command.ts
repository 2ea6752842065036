import type {MessageInput, MqClient} from '../client/client.js';
import {isProduceFailure} from '../protocol/wire.js';
import {UsageError} from './base-command.js';
import {parseDuration} from './duration.js';
import {ExitCode} from './exit-codes.js';
import {ORDER_TOPIC, demoOrder, parseHeaders, parseValue, withTemplate} from './produce.js';
import {produceAndFollow} from './produce-wait.js';
import {uuid7} from '../util/uuid7.js';

type Out = (human: string, json?: unknown) => void;

interface Flags {
  order?: number;
  producer?: string;
  key?: string;
  id?: string;
  priority?: number;
  partition?: number;
  header?: string[];
  text: boolean;
  timeout: string;
}

const label = (m: MessageInput | undefined): string => {
  const v = m?.value as {seq?: number; content?: string} | undefined;
  return v?.seq !== undefined ? `seq ${v.seq}${v.content ? ` (${v.content})` : ''}` : `id ${m?.id ?? '?'}`;
};

/** The body of `mq produce --wait processed`: returns the exit code (3 when something was not processed in time). */
export async function waitProcessed(client: MqClient, topic: string, flags: Flags, values: string[], out: Out): Promise<number> {
  let messages: MessageInput[];
  if (flags.order !== undefined) {
    if (values.length > 0) throw new UsageError('--order publishes its own messages; give no values');
    await client.ensureTopic({name: ORDER_TOPIC, partitions: 2});
    messages = demoOrder(flags.order);
  } else {
    if (values.length === 0) throw new UsageError('--wait processed needs the values as arguments');
    const producer = flags.producer ?? `mq-cli-${process.pid}`;
    const template = {key: flags.key, producer, priority: flags.priority, partition: flags.partition, headers: parseHeaders(flags.header)};
    messages = values.map((v) => ({...withTemplate(parseValue(v, flags.text), template), id: flags.id && values.length === 1 ? flags.id : uuid7()}));
  }
  const result = await produceAndFollow(client, topic, messages, parseDuration(flags.timeout), (r, m) => {
    const who = `${r.group}${r.consumer ? `/${r.consumer}` : ''}`;
    const what = r.state === 'in_progress' ? 'in progress' : r.state === 'processed' ? 'processed' : `dead-lettered (${r.error ?? 'no reason given'})`;
    out(`${what}: ${label(m)} by ${who} (${r.topic}/${r.partition}@${r.offset}, delivery ${r.deliveries})`, r);
  });
  result.results.forEach((r, i) => {
    const m = messages[i];
    if (isProduceFailure(r)) out(`failed: ${label(m)}: ${r.error.code}: ${r.error.message}`, r);
    else out(`${r.state === 'processed' ? 'done' : r.state}: ${label(m)} → ${topic}/${r.partition}@${r.offset}`, {...r, id: m?.id});
  });
  if (result.pending > 0) {
    process.stderr.write(`${result.pending} message(s) not processed within ${flags.timeout}\n`);
    return ExitCode.Timeout;
  }
  return result.results.some(isProduceFailure) ? ExitCode.Error : ExitCode.Ok;
}
