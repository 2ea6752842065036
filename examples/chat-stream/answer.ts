/**
 * The fake "LLM": a deterministic answer for a prompt, word by word. The same prompt always gives the same words, so
 * a generator that is restarted (or a redelivered prompt) republishes exactly what it published before, with the same
 * message ids, and the broker's de-duplication keeps one copy.
 */

const VOCABULARY = (
  'the a broker log stream offset partition replica leader follower message key session answer token word page reload ' +
  'history cancel commit quorum term election snapshot consumer producer queue topic event position resume browser ' +
  'node cluster balancer durable ordered replicated committed streamed kept served read written acknowledged'
).split(' ');

/** FNV-1a over the prompt's UTF-16 code units: a seed, not a security property. */
function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** mulberry32: a tiny seeded PRNG, enough to vary the words. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The answer's words: `words` of them (default 40..80, chosen by the prompt), each tagged with its number. */
export function answerFor(prompt: string, words?: number): string[] {
  const next = prng(seedOf(prompt));
  const n = words ?? 40 + Math.floor(next() * 41);
  // the number makes every word distinct, so a lost or repeated word can never hide behind an identical neighbour
  return Array.from({length: n}, (_, i) => `${VOCABULARY[Math.floor(next() * VOCABULARY.length)]}${i + 1}`);
}
