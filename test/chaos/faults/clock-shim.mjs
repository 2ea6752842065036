// Preloaded into a broker with NODE_OPTIONS="--import <this file>" (DESIGN §9): shifts the wall clock the broker
// reads through Date.now() by the number of milliseconds in the file named by MQ_CHAOS_CLOCK_FILE, re-read every
// 20 ms, so a chaos run can jump a live broker's clock forwards or backwards. The monotonic clock
// (performance.now, process.hrtime) is left alone, as a real NTP step would leave it.
import fs from 'node:fs';

const file = process.env.MQ_CHAOS_CLOCK_FILE;
if (file) {
  const realNow = Date.now;
  let offsetMs = 0;
  const load = () => {
    try {
      const n = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isFinite(n)) offsetMs = n;
    } catch {
      // no file yet: no shift
    }
  };
  load();
  setInterval(load, 20).unref();
  Date.now = () => realNow() + offsetMs;
}
