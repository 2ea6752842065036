import {parseArgs} from 'node:util';
import {TokenGenerator} from './generator.js';
import {startWebServer} from './web-server.js';

/**
 * Runs the example: the web server (page + API), the token generator, or both (default).
 *
 *   npx tsx examples/chat-stream/main.ts --mq http://127.0.0.1:7070 --port 8080
 *
 * MQ_TOKEN: a token with produce:chat*, consume:chat* (or admin) when the brokers run with auth.
 */
const {values} = parseArgs({
  options: {
    mq: {type: 'string', default: process.env.MQ_URL ?? 'http://127.0.0.1:7070'},
    'public-mq': {type: 'string'},
    port: {type: 'string', default: '8080'},
    host: {type: 'string', default: '127.0.0.1'},
    role: {type: 'string', default: 'all'},
    'delay-ms': {type: 'string', default: '80'},
  },
});
const role = values.role;
if (!['all', 'web', 'generator'].includes(role)) throw new Error('--role is all, web or generator');
const token = process.env.MQ_TOKEN || undefined;
const stops: Array<() => Promise<void>> = [];

if (role !== 'web') {
  const gen = new TokenGenerator({url: values.mq, token, delayMs: Number(values['delay-ms']), onError: (e) => console.error(`generator: ${String(e)}`)});
  await gen.start();
  stops.push(() => gen.stop());
  console.log(`token generator taking prompts from ${values.mq}`);
}
if (role !== 'generator') {
  const web = await startWebServer({mqUrl: values.mq, publicMqUrl: values['public-mq'], token, host: values.host, port: Number(values.port)});
  stops.push(() => web.close());
  console.log(`chat page at ${web.url}/ (streams from ${values['public-mq'] ?? values.mq}; its brokers need --cors-origin ${web.url})`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all(stops.map((s) => s())).then(() => process.exit(0));
  });
}
