import {describe, expect, it} from 'vitest';
import {murmur2, partitionForKey} from '../../src/protocol/murmur2.js';

describe('murmur2 - Kafka compatibility', () => {
  // org.apache.kafka.common.utils.UtilsTest#testMurmur2
  const vectors: Array<[string | number[], number]> = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    [[0x61, 0x62, 0x63], 479470107],
  ];
  for (const [input, expected] of vectors) {
    it(`hashes ${JSON.stringify(input)} as Kafka does`, () => {
      const bytes = typeof input === 'string' ? Buffer.from(input) : Uint8Array.from(input);
      expect(murmur2(bytes)).toBe(expected);
    });
  }

  it('maps a key to toPositive(murmur2) % partitions', () => {
    expect(partitionForKey('foobar', 7)).toBe((-790332482 & 0x7fffffff) % 7);
    for (let n = 1; n <= 16; n++) expect(partitionForKey('order-123', n)).toBeLessThan(n);
  });

  it('hashes the UTF-8 bytes of a key', () => {
    expect(partitionForKey('ключ', 1000)).toBe((murmur2(Buffer.from('ключ', 'utf8')) & 0x7fffffff) % 1000);
  });
});
