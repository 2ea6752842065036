/** Entry point of a forked sweep worker: runs the seed ranges its parent sends, reports progress and results. */
import {sweep, type SweepOptions} from './sweep.js';

export interface ChunkRequest {
  readonly from: number;
  readonly count: number;
  readonly steps?: number;
  readonly bug?: SweepOptions['bug'];
  readonly stopOnFailure: boolean;
}

process.on('message', (req: ChunkRequest | 'exit') => {
  if (req === 'exit') process.exit(0);
  let reported = 0;
  const result = sweep({
    ...req,
    onProgress: (done) => {
      if (done - reported >= 100) {
        process.send!({type: 'progress', seeds: done - reported});
        reported = done;
      }
    },
  });
  process.send!({type: 'result', from: req.from, unreported: result.seedsRun - reported, result});
});
