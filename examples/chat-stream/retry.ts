import {MqError} from '../../src/index.js';

/**
 * Runs `fn` until it succeeds, retrying what mq says may succeed later (an election after a broker died, the lb
 * finding no broker for a moment). Only for requests that are safe to repeat: the chat's writes all carry ids.
 */
export async function retrying<T>(fn: () => Promise<T>, opts: {signal?: AbortSignal; attemptsMax?: number; pauseMs?: number} = {}): Promise<T> {
  const attemptsMax = opts.attemptsMax ?? 300;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const again = error instanceof MqError && (error.retriable || error.code === 'UNAVAILABLE' || error.code === 'TIMEOUT');
      if (!again || attempt >= attemptsMax || opts.signal?.aborted) throw error;
      await new Promise((r) => setTimeout(r, opts.pauseMs ?? 100));
    }
  }
}
