/**
 * What the chat puts on mq. Three topics:
 * - `chat` (keyed by session): the conversation, the only place it is kept. A page rebuilds it by streaming the
 *   session's key from the start.
 * - `chat.prompts`: work for the generators (a queue group, so each prompt is answered by one of them).
 * - `chat.control`: cancellations. Every generator reads all of it, so whichever holds the answer acts on it.
 */

export const TOPICS = {chat: 'chat', prompts: 'chat.prompts', control: 'chat.control'} as const;
export const GENERATOR_GROUP = 'chat-generators';

/** A conversation event (the value of a `chat` message); every one names the answer it belongs to. */
export type ChatEvent =
  | {type: 'user'; answer: string; text: string}
  | {type: 'start'; answer: string; words: number}
  | {type: 'token'; answer: string; seq: number; word: string}
  | {type: 'end'; answer: string; words: number}
  | {type: 'cancelled'; answer: string; words: number};

/** A job on `chat.prompts`. */
export interface PromptJob {
  session: string;
  answer: string;
  text: string;
}

/** A message on `chat.control`. */
export interface ControlMessage {
  type: 'cancel';
  session: string;
  answer: string;
}

/**
 * Message ids: the same event always gets the same id, so a retry (or a generator that starts the answer again after
 * a crash) is stored once (the broker de-duplicates ids per partition within the topic's window).
 */
export function eventId(e: ChatEvent): string {
  return e.type === 'token' ? `${e.answer}/${e.seq}` : `${e.answer}/${e.type}`;
}

export const SESSION_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
