import {spawn} from 'node:child_process';
import type {WireDelivery} from '../protocol/wire.js';
import {MqClient} from '../client/client.js';
import {Worker} from '../client/worker.js';
import {MqError} from '../errors.js';

export interface QueueConsumeOptions {
  url: string;
  token?: string;
  /** PEM CA to trust for an https URL. */
  ca?: string;
  topic: string;
  group: string;
  exec?: string;
  concurrency: number;
  nackDelayMs: number;
  max?: number;
  timeoutMs?: number;
  signal: AbortSignal;
}

/** The value as the command sees it on stdin: JSON text as stored, or the raw bytes of a binary value. */
function stdinFor(m: WireDelivery): Buffer {
  if (m.value_base64 !== undefined) return Buffer.from(m.value_base64, 'base64');
  return Buffer.from(typeof m.value === 'string' ? m.value : JSON.stringify(m.value));
}

/** Runs `sh -c CMD` for one message: value on stdin, where it came from in MQ_* variables. Rejects on a non-zero exit. */
export function runCommand(cmd: string, m: WireDelivery, group: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', cmd], {
      stdio: ['pipe', 'inherit', 'inherit'],
      signal,
      env: {
        ...process.env,
        MQ_TOPIC: m.topic,
        MQ_PARTITION: String(m.partition),
        MQ_OFFSET: String(m.offset),
        MQ_MESSAGE_ID: m.id ?? '',
        MQ_DELIVERY_COUNT: String(m.delivery_count),
        MQ_KEY: m.key ?? '',
        MQ_PRIORITY: String(m.priority),
        MQ_PRODUCER: m.producer ?? '',
        MQ_GROUP: group,
        MQ_LEASE_ID: m.lease_id,
      },
    });
    child.stdin.on('error', () => {});
    child.stdin.end(stdinFor(m));
    child.once('error', reject);
    child.once('exit', (code, sig) => (code === 0 ? resolve() : reject(new Error(sig ? `killed by ${sig}` : `exited with code ${code}`))));
  });
}

/**
 * `mq consume --queue`: a queue worker in one line of shell. Without --exec it prints each message and acks it; with
 * --exec it runs the command per message (progress sent while it runs), acks on exit 0 and nacks otherwise.
 * The queue group is created (with its defaults) if it does not exist yet.
 */
export async function consumeQueue(opts: QueueConsumeOptions, emit: (m: WireDelivery, outcome: string) => void): Promise<{handled: number; complete: boolean}> {
  const admin = new MqClient({url: opts.url, token: opts.token, ca: opts.ca});
  try {
    await admin.createGroup({name: opts.group, topics: [opts.topic], mode: 'queue'}).catch((e: unknown) => {
      if (!(e instanceof MqError && e.code === 'GROUP_EXISTS')) throw e;
    });
    const d = await admin.describeGroup(opts.group);
    if (d.mode !== 'queue') throw new MqError('WRONG_GROUP_MODE', `group ${opts.group} is a ${d.mode} group; use mq consume --group without --queue`);
  } finally {
    await admin.close();
  }
  let handled = 0;
  const worker = new Worker({
    url: opts.url,
    token: opts.token,
    ca: opts.ca,
    group: opts.group,
    concurrency: opts.concurrency,
    nackDelayMs: opts.nackDelayMs,
    consumer: `mq-cli-${process.pid}`,
    limit: opts.max,
    confirmOnReceipt: true,
    waitMs: 1000,
    handler: async (m, ctx) => {
      if (opts.exec) {
        try {
          await runCommand(opts.exec, m, opts.group, ctx.signal);
        } catch (error) {
          emit(m, `failed (${(error as Error).message}), will be retried`);
          throw error;
        }
      }
      handled++;
      emit(m, 'done');
    },
    onError: (e) => process.stderr.write(`warning: ${(e as Error).message}\n`),
  });
  const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => void worker.stop(), opts.timeoutMs);
  const onAbort = (): void => void worker.stop();
  opts.signal.addEventListener('abort', onAbort, {once: true});
  try {
    await worker.start();
    await worker.stop();
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal.removeEventListener('abort', onAbort);
  }
  return {handled, complete: opts.max === undefined || handled >= opts.max};
}
