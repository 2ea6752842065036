/** Creates the saga topic and queue groups on mq, and puts a product on sale in the example's database. */
import {parseArgs} from 'node:util';
import {commonFlags} from './src/args.js';
import {openDb, product, stockProduct} from './src/db.js';
import {MqClient} from './src/mq.js';
import {ensureTopology} from './src/topology.js';

const {values: args} = parseArgs({
  options: {
    ...commonFlags,
    product: {type: 'string', default: 'sneaker-42'},
    stock: {type: 'string', default: '9'},
    price: {type: 'string', default: '120'},
    lease: {type: 'string', default: '3000'},
    'max-deliveries': {type: 'string', default: '4'},
  },
});

const client = new MqClient({url: args.url});
for (const line of await ensureTopology(client, {leaseMs: Number(args.lease), maxDeliveries: Number(args['max-deliveries'])})) console.log(line);
await client.close();

const db = openDb(args.db);
stockProduct(db, args.product, Number(args.stock), Number(args.price));
const p = product(db, args.product)!;
console.log(`product ${p.id}: stock ${p.stock} at ${p.price} (database ${args.db})`);
db.close();
