/**
 * The one place the example imports mq from. Inside the repository it is the source tree (run with tsx); in your own
 * project, after `npm install mq`, this line is `export {...} from 'mq';`.
 */
export {Consumer, MqClient, MqError, Producer, Worker, type WireDelivery} from '../../../src/index.js';
