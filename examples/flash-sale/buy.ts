/** N buyers race for one product; prints each order's saga as read back from the log, then the stock. */
import {parseArgs} from 'node:util';
import {commonFlags} from './src/args.js';
import {awaitOutcomes, placePurchases, purchases} from './src/buyers.js';
import {openDb, product} from './src/db.js';
import {MqClient} from './src/mq.js';

const {values: args} = parseArgs({
  options: {
    ...commonFlags,
    product: {type: 'string', default: 'sneaker-42'},
    buyers: {type: 'string', default: '10'},
    decline: {type: 'string', multiple: true, default: [] as string[]},
  },
});

const buyers = Array.from({length: Number(args.buyers)}, (_, i) => `buyer-${String(i + 1).padStart(2, '0')}`);
const list = purchases(args.product, buyers, {decline: new Set(args.decline)});
const client = new MqClient({url: args.url});
await placePurchases(client, list);
await client.close();
console.log(`${list.length} buyers sent a purchase for ${args.product}`);

const trails = await awaitOutcomes({url: args.url, orderIds: list.map((p) => p.orderId)});
const count = {OrderConfirmed: 0, OrderRejected: 0, OrderCancelled: 0};
for (const p of list) {
  const t = trails.get(p.orderId)!;
  count[t.outcome.type]++;
  const why = 'reason' in t.outcome ? ` (${t.outcome.reason})` : '';
  console.log(`${p.buyer}  ${t.steps.join(' > ')}${why}`);
}
console.log(`confirmed ${count.OrderConfirmed}, rejected ${count.OrderRejected}, cancelled ${count.OrderCancelled}`);

// inventory turns a confirmed order's reservation into a sale just after the buyer sees the confirmation
const db = openDb(args.db);
const held = db.prepare(`SELECT COUNT(*) FROM reservations WHERE status = 'reserved' AND order_id IN (${list.map(() => '?').join(',')})`).pluck();
for (let i = 0; i < 100 && (held.get(...list.map((p) => p.orderId)) as number) > 0; i++) await new Promise((r) => setTimeout(r, 100));
const p = product(db, args.product);
if (p) console.log(`stock ${p.stock} (reserved ${p.reserved}, sold ${p.sold})`);
db.close();
