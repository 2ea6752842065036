import {describe, expect, it} from 'vitest';
import {answerFor} from '../../examples/chat-stream/answer.js';
import {OrderedPublisher} from '../../examples/chat-stream/ordered-publisher.js';
import {eventId} from '../../examples/chat-stream/protocol.js';

describe('examples/chat-stream - the pieces', () => {
  it('answerFor: the same prompt gives the same words, every word distinct; the length is the prompt\'s or the one asked for', () => {
    const a = answerFor('what is a log?');
    expect(answerFor('what is a log?')).toEqual(a);
    expect(a.length).toBeGreaterThanOrEqual(40);
    expect(a.length).toBeLessThanOrEqual(80);
    expect(new Set(a).size).toBe(a.length);
    expect(answerFor('what is a log?', 7)).toHaveLength(7);
    expect(answerFor('something else')).not.toEqual(a);
  });

  it('eventId: one fixed id per event of an answer', () => {
    expect(eventId({type: 'token', answer: 'a1', seq: 3, word: 'x'})).toBe('a1/3');
    expect(eventId({type: 'start', answer: 'a1', words: 9})).toBe('a1/start');
    expect(eventId({type: 'cancelled', answer: 'a1', words: 2})).toBe('a1/cancelled');
  });

  it('OrderedPublisher: one request in flight at a time, what comes meanwhile goes in the next, in order', async () => {
    const sent: number[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const gates: Array<() => void> = [];
    const p = new OrderedPublisher<number>(async (batch) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      sent.push(batch);
      await new Promise<void>((r) => gates.push(r));
      inFlight--;
    }, 3);
    p.push(0);
    for (let i = 1; i <= 5; i++) p.push(i);
    expect(sent).toEqual([[0]]);
    gates.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([[0], [1, 2, 3]]);
    gates.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([[0], [1, 2, 3], [4, 5]]);
    const flushed = p.flushed();
    gates.shift()!();
    await flushed;
    expect(maxInFlight).toBe(1);
    p.push(6);
    gates.shift()!();
    await p.flushed();
    expect(sent.flat()).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('OrderedPublisher: a failed send drops what waited and fails the next push and flushed()', async () => {
    const p = new OrderedPublisher<number>(async () => {
      throw new Error('broker gone');
    });
    p.push(1);
    await expect(p.flushed()).rejects.toThrow('broker gone');
    expect(() => p.push(2)).toThrow('broker gone');
  });
});
