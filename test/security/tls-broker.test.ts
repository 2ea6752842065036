import fs from 'node:fs';
import path from 'node:path';
import {request} from 'undici';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {MqClient} from '../../src/client/index.js';
import {resolveBrokerConfig} from '../../src/config/index.js';
import {MqError} from '../../src/errors.js';
import {makeDevCerts} from '../../src/security/cert-dev.js';
import {tempDir} from '../helpers/broker.js';
import {runMq, spawnBroker, type BrokerChild} from '../helpers/process.js';

/*
 * One broker process serving https with a certificate from `mq cert dev`: clients that trust the CA (library `ca`,
 * --ca, MQ_CA, a context's CA) produce and consume; clients that do not get TLS_CERT_UNTRUSTED, never a stack trace.
 */

const dir = tempDir('mq-tls-');
const certs = {ca: path.join(dir, 'certs/ca.crt'), cert: path.join(dir, 'certs/server.crt'), key: path.join(dir, 'certs/server.key')};
let broker: BrokerChild;
let certDevOut = '';

beforeAll(async () => {
  const made = await runMq(['cert', 'dev', '--out', path.join(dir, 'certs')], {timeoutMs: 120_000});
  expect(made.code, made.stderr).toBe(0);
  certDevOut = made.stdout;
  broker = await spawnBroker({args: ['--in-memory', '--tls-cert', certs.cert, '--tls-key', certs.key]});
}, 180_000);

afterAll(async () => {
  broker?.kill('SIGKILL');
  await broker?.exited;
  fs.rmSync(dir, {recursive: true, force: true});
});

describe('TLS on the client API', {timeout: 300_000}, () => {
  it('mq cert dev writes a CA and a certificate, and prints the commands that use them', () => {
    for (const f of Object.values(certs)) expect(fs.existsSync(f), f).toBe(true);
    expect(fs.statSync(certs.key).mode & 0o077).toBe(0);
    expect(certDevOut).toContain(`broker start --tls-cert ${certs.cert} --tls-key ${certs.key}`);
    expect(certDevOut).toContain(`MQ_CA=${certs.ca}`);
    expect(certDevOut).toContain(`--peer-tls-ca ${certs.ca}`);
  });

  it('the broker advertises https and serves a client that trusts the CA; one that does not gets TLS_CERT_UNTRUSTED', async () => {
    expect(broker.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const client = new MqClient({url: broker.url, ca: fs.readFileSync(certs.ca)});
    const untrusting = new MqClient({url: broker.url});
    try {
      await client.createTopic({name: 'secure', partitions: 1});
      const ack = await client.produce('secure', [{value: {n: 1}, id: 'm1'}]);
      expect(ack[0]).toMatchObject({partition: 0, offset: 0});
      const page = await client.fetch('secure', 0, {offset: 0});
      expect(page.messages.map((m) => m.value)).toEqual([{n: 1}]);

      const err = await untrusting.produce('secure', [{value: 2}]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MqError);
      expect(err).toMatchObject({code: 'TLS_CERT_UNTRUSTED', written: false});
      // and nothing was written by the refused client
      expect((await client.fetch('secure', 0, {offset: 0})).messages).toHaveLength(1);
      // plain http to the TLS port is refused too
      await expect(request(broker.url.replace('https:', 'http:') + '/health')).rejects.toThrow();
    } finally {
      await Promise.all([client.close(), untrusting.close()]);
    }
  });

  it('mq produce/consume/status trust the CA from --ca, MQ_CA or a context, and fail cleanly without it', async () => {
    const url = broker.url;
    const configDir = path.join(dir, 'config');
    const env = {MQ_CONFIG_DIR: configDir};
    // each is about a second on a quiet machine; the limit is for a loaded one
    const o = {env, timeoutMs: 120_000};
    const [produced, noCa, noCaJson, status, added] = await Promise.all([
      runMq(['produce', 'cli', 'first', '--url', url, '--ca', certs.ca], o),
      runMq(['produce', 'cli', 'nope', '--url', url], o),
      runMq(['produce', 'cli', 'nope', '--url', url, '--json'], o),
      runMq(['status', '--url', url, '--ca', certs.ca], o),
      runMq(['context', 'add', 'tls', '--url', url, '--ca', certs.ca, '--use'], o),
    ]);
    expect(produced.code, produced.stderr).toBe(0);
    expect(produced.stdout).toMatch(/^cli\/0@0/);

    expect(noCa.code).toBe(1);
    expect(noCa.stderr).toContain('TLS_CERT_UNTRUSTED');
    expect(noCa.stderr).toContain('--ca');
    expect(noCa.stderr).not.toMatch(/\n\s+at /);
    expect(noCaJson.code).toBe(1);
    expect(JSON.parse(noCaJson.stdout)).toMatchObject({error: {code: 'TLS_CERT_UNTRUSTED', written: false}});

    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(url);
    expect(added.code, added.stderr).toBe(0);

    const [viaEnv, viaContext] = await Promise.all([
      runMq(['consume', 'cli', '--from', 'earliest', '--max', '1', '--timeout', '10s', '--url', url], {env: {...env, MQ_CA: certs.ca}, timeoutMs: 120_000}),
      // the selected context gives the URL and the CA
      runMq(['produce', 'cli', 'second'], o),
    ]);
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(viaEnv.stdout).toContain('first');
    expect(viaContext.code, viaContext.stderr).toBe(0);
    expect(viaContext.stdout).toMatch(/^cli\/0@1/);
  });

  it('refuses to start with half a TLS setting or a key that is not the certificate\'s', async () => {
    expect(() => resolveBrokerConfig({env: {}, flags: {tlsCert: certs.cert}})).toThrow(/tlsKey \(MQ_TLS_KEY\).*go together/);
    expect(() => resolveBrokerConfig({env: {}, flags: {peerTlsCert: certs.cert, peerTlsKey: certs.key}})).toThrow(/peerTlsCa/);
    const other = makeDevCerts(['localhost']);
    const wrongKey = path.join(dir, 'wrong.key');
    fs.writeFileSync(wrongKey, other.key);
    expect(() => resolveBrokerConfig({env: {}, flags: {tlsCert: certs.cert, tlsKey: wrongKey}})).toThrow(/is not the key of the certificate/);
    expect(() => resolveBrokerConfig({env: {}, flags: {tlsCert: path.join(dir, 'missing.crt'), tlsKey: certs.key}})).toThrow(/tlsCert \(MQ_TLS_CERT\): cannot read/);
    // the process says so on stderr and exits non-zero, before listening
    const r = await runMq(['broker', 'start', '--in-memory', '--listen', '127.0.0.1:0', '--tls-cert', certs.cert], {timeoutMs: 120_000});
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('tlsKey');
  });
});
