import {describe, expect, it} from 'vitest';
import {SampleWindow} from '../../src/observe/sample-window.js';
import * as cli from '../../src/cli/output.js';
import * as tui from '../../src/tui/format.js';
import {sparkline} from '../../src/tui/sparkline.js';

describe('sample window - rates of growing counters', () => {
  it('gives zeros before there is a base sample, then per-second rates from the oldest sample in the window', () => {
    const w = new SampleWindow(5000);
    expect(w.perSecond(0, [10])).toEqual({rates: [0], spanMs: 0});
    w.add(0, [0, 0]);
    w.add(1000, [100, 1000]);
    // live counters read at t=2000: 300 messages over 2 s since the base at t=0
    expect(w.perSecond(2000, [300, 4000])).toEqual({rates: [150, 2000], spanMs: 2000});
  });

  it('forgets samples older than the window, keeping one base at or before its start', () => {
    const w = new SampleWindow(3000);
    for (let t = 0; t <= 10_000; t += 1000) w.add(t, [t / 10]);
    expect(w.size).toBe(4); // 7000, 8000, 9000, 10000
    expect(w.perSecond(10_000, [1000])).toEqual({rates: [100], spanMs: 3000});
  });

  it('never reports a negative rate when a counter was reset', () => {
    const w = new SampleWindow(5000);
    w.add(0, [500]);
    expect(w.perSecond(1000, [20]).rates).toEqual([0]);
  });
});

describe('sparkline - the trend columns of mq top', () => {
  it('scales to its own maximum, newest on the right, padded while short', () => {
    expect(sparkline([0, 1, 2, 4, 8], 5)).toBe('▁▂▃▅█');
    expect(sparkline([8], 4)).toBe('   █');
    expect(sparkline([3, 3, 3, 0, 0, 0], 3)).toBe('▁▁▁');
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8], 2)).toBe('▇█');
  });
});

describe('figures - bytes, durations and rates as people read them', () => {
  it('formats bytes, durations and rates', () => {
    expect([0, 1023, 1024, 1536, 10 * 1024, 5 * 1024 ** 3, 2 * 1024 ** 5].map(tui.formatBytes)).toEqual(['0 B', '1023 B', '1.0 KiB', '1.5 KiB', '10 KiB', '5.0 GiB', '2048 TiB']);
    expect([999, 1000, 60_000, 3_600_000, 49 * 3_600_000].map(tui.formatDuration)).toEqual(['999ms', '1s', '1m0s', '1h0m', '2d1h']);
    expect(cli.formatBytes).toBe(tui.formatBytes);
    expect([0, 0.25, 9.94, 10.4, 9999, 12_345, 2_500_000].map(tui.formatRate)).toEqual(['0', '0.3', '9.9', '10', '9999', '12.3k', '2.5M']);
  });
});
