import fc from 'fast-check';
import {ERROR_SPECS, MqError} from '../../src/errors.js';

/**
 * One seed per run (MQ_FUZZ_SEED=n replays a failure): each property's failure names it, so that a red CI run can be
 * repeated exactly with `MQ_FUZZ_SEED=n npx vitest run test/security/fuzz-*.test.ts`.
 */
export const FUZZ_SEED = process.env.MQ_FUZZ_SEED !== undefined ? Number(process.env.MQ_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);

export async function fuzz<Ts extends [unknown, ...unknown[]]>(prop: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>, numRuns: number): Promise<void> {
  try {
    await fc.assert(prop as fc.IAsyncProperty<Ts>, {seed: FUZZ_SEED, numRuns});
  } catch (error) {
    throw new Error(`fuzz failed; replay with MQ_FUZZ_SEED=${FUZZ_SEED}\n${(error as Error).message}`);
  }
}

/** Runs fn; returns 'OK' or the code of the typed error it threw. Anything else (a TypeError, a RangeError) escapes. */
export function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'OK';
  } catch (error) {
    if (error instanceof MqError && error.code in ERROR_SPECS && error.status >= 400 && error.status < 500) return error.code;
    throw error;
  }
}

/** Strings as JSON escapes may spell them: any UTF-16 code units, lone surrogates included. */
export const anyText = (maxLength = 12): fc.Arbitrary<string> => fc.string({unit: 'binary', maxLength});

/** Whitespace JSON allows between tokens. */
export const ws = fc.stringMatching(/^[ \t\r\n]{0,3}$/);

/** A valid body with some of its bytes flipped, cut or repeated: the near-misses a parser is likeliest to get wrong. */
export function mutate(base: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc.tuple(base, fc.array(fc.tuple(fc.nat(), fc.integer({min: 0, max: 255}), fc.constantFrom('flip', 'cut', 'dup', 'insert')), {minLength: 1, maxLength: 4})).map(([buf, edits]) => {
    let b = Buffer.from(buf);
    for (const [at, byte, kind] of edits) {
      if (b.length === 0) break;
      const i = at % b.length;
      if (kind === 'flip') b[i] = byte;
      else if (kind === 'cut') b = b.subarray(0, i);
      else if (kind === 'dup') b = Buffer.concat([b.subarray(0, i), b.subarray(i, i + 8), b.subarray(i)]);
      else b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
    }
    return b;
  });
}
