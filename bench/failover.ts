/**
 * Failover time (npm run bench:failover): three broker processes on this machine with the default Raft timings
 * (100 ms ticks: heartbeat 500 ms, election timeout 1-2 s), a steady acks=all produce load, and --kills leader kills
 * (SIGKILL), each followed by a restart and catch-up. Prints each kill and the p50/max, then checks that every
 * acknowledged message is in the log at its offset.
 *
 *   npm run bench:failover -- [--kills 20] [--tick-ms 100]
 */
import {parseArgs} from 'node:util';
import {percentile, runFailover} from '../src/bench/failover.js';

const {values: a} = parseArgs({options: {kills: {type: 'string', default: '20'}, 'tick-ms': {type: 'string', default: '100'}}});
const r = await runFailover({kills: Number(a.kills), env: {MQ_RAFT_TICK_MS: a['tick-ms']!}, log: (l) => console.log(l)});
const el = r.samples.map((s) => s.electionMs);
const wr = r.samples.map((s) => s.writableMs);
const f = (x: number): string => `${x.toFixed(0)} ms`;
console.log(`\n${r.samples.length} leader kills; election timeout at most ${r.electionTimeoutMaxMs} ms`);
console.log('| measure | p50 | max |');
console.log('|---|---|---|');
console.log(`| kill -9 to a new leader named by a survivor | ${f(percentile(el, 50))} | ${f(Math.max(...el))} |`);
console.log(`| kill -9 to the next acknowledged write (acks=all) | ${f(percentile(wr, 50))} | ${f(Math.max(...wr))} |`);
console.log(`\nload: ${r.acked} messages acknowledged, ${r.failedRequests} requests failed (during elections)`);
console.log(`check: ${r.report.lost.length} acknowledged messages lost, ${r.report.conflictingOffsets} offsets acknowledged twice, ${r.report.duplicateIds} ids stored twice, ${r.report.gaps} gaps, ${r.report.messages} messages read`);
if (r.report.lost.length > 0 || r.report.conflictingOffsets > 0 || r.report.gaps > 0) process.exitCode = 1;
