/**
 * One saga worker process (one of the seed's app servers): the inventory, orders and payments services as mq queue
 * workers. Run several for more throughput; stop with Ctrl-C (running events finish and are acked first).
 */
import {parseArgs} from 'node:util';
import {commonFlags} from './src/args.js';
import {startSagaWorkers} from './src/saga-workers.js';
import {SERVICES, type ServiceName} from './src/service.js';

const {values: args} = parseArgs({
  options: {
    ...commonFlags,
    services: {type: 'string', default: SERVICES.join(',')},
    concurrency: {type: 'string', default: '1'},
    name: {type: 'string'},
  },
});

const services = args.services.split(',').map((s) => s.trim()) as ServiceName[];
for (const s of services) if (!SERVICES.includes(s)) throw new Error(`unknown service ${s} (one of ${SERVICES.join(', ')})`);

const workers = startSagaWorkers({
  url: args.url,
  dbPath: args.db,
  services,
  concurrency: Number(args.concurrency),
  name: args.name,
  // test seam: freeze at a checkpoint so the crash test can SIGKILL this process exactly between two steps
  pauseAt: process.env.FLASH_PAUSE_AT,
  log: (line) => console.log(line),
});
console.log(`saga worker ${process.pid}: ${services.join(', ')} on ${args.url}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void workers.stop().then(() => process.exit(0));
  });
}
