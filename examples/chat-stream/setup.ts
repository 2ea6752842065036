import {MqError, type MqClient} from '../../src/index.js';
import {GENERATOR_GROUP, TOPICS} from './protocol.js';

/**
 * Creates the chat's topics and the generators' queue group if they are not there (any process of the example may
 * start first, so each calls this). `chat` gets 3 partitions: sessions spread over them by key, and a session's
 * events stay in order in its partition.
 */
export async function ensureChatTopics(client: MqClient, opts: {chatPartitions?: number} = {}): Promise<void> {
  await unlessThere(client.ensureTopic({name: TOPICS.chat, partitions: opts.chatPartitions ?? 3}), () => client.describeTopic(TOPICS.chat));
  await unlessThere(client.ensureTopic({name: TOPICS.prompts, partitions: 1}), () => client.describeTopic(TOPICS.prompts));
  // cancellations matter only while an answer runs: a short history is enough for a generator that (re)starts
  const control = {name: TOPICS.control, partitions: 1, retention: {max_messages: 1000, max_bytes: null, max_age_ms: null}};
  await unlessThere(client.ensureTopic(control), () => client.describeTopic(TOPICS.control));
  const group = client.createGroup({name: GENERATOR_GROUP, topics: [TOPICS.prompts], mode: 'queue', from: 'earliest'}).catch((error: unknown) => {
    if (!(error instanceof MqError && error.code === 'GROUP_EXISTS')) throw error;
  });
  await unlessThere(group, () => client.describeGroup(GENERATOR_GROUP));
}

/**
 * With auth on, creating needs the admin grant: a process with a narrower token (produce and consume on chat*) goes
 * on if an admin made the topics and the group already, and fails with FORBIDDEN otherwise.
 */
async function unlessThere(creating: Promise<unknown>, describe: () => Promise<unknown>): Promise<void> {
  try {
    await creating;
  } catch (error) {
    if (!(error instanceof MqError && error.code === 'FORBIDDEN')) throw error;
    await describe().catch(() => Promise.reject(error));
  }
}
