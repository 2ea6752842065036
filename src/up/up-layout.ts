import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {z} from 'zod';
import {MqError} from '../errors.js';
import {writeAtomic} from '../util/foreground.js';

/**
 * What `mq up` keeps in its data directory. `up.json` records the cluster's shape and ports the first time, so a
 * re-run resumes the same cluster (same ids, ports, secret and data) and the URLs in contexts stay right.
 */
export const UP_FILE = 'up.json';

const specSchema = z.strictObject({
  version: z.literal(1),
  /** The name of the context `mq up` saved (so `mq down --purge` can remove it). */
  name: z.string(),
  brokers: z.array(z.strictObject({id: z.number().int().positive(), port: z.number().int().positive(), peer_port: z.number().int().positive()})).min(1),
  lb: z.strictObject({port: z.number().int().positive()}).nullable(),
});
export type UpSpec = z.infer<typeof specSchema>;

export class UpLayout {
  readonly dir: string;
  constructor(dataDir: string) {
    this.dir = path.resolve(dataDir);
  }
  get specFile(): string {
    return path.join(this.dir, UP_FILE);
  }
  get secretFile(): string {
    return path.join(this.dir, 'cluster.secret');
  }
  get pidFile(): string {
    return path.join(this.dir, 'up.pid');
  }
  get stateFile(): string {
    return path.join(this.dir, 'up-state.json');
  }
  get logDir(): string {
    return path.join(this.dir, 'logs');
  }
  get supervisorLog(): string {
    return path.join(this.logDir, 'up.log');
  }
  get runDir(): string {
    return path.join(this.dir, 'run');
  }
  brokerDir(id: number): string {
    return path.join(this.dir, `broker-${id}`);
  }
  readyFile(name: string): string {
    return path.join(this.runDir, `${name}.ready`);
  }
  logFile(name: string): string {
    return path.join(this.logDir, `${name}.log`);
  }

  readSpec(): UpSpec | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.specFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const r = specSchema.safeParse(JSON.parse(text));
    if (!r.success) throw new MqError('INVALID_CONFIG', `${this.specFile} is not an mq up cluster file: ${r.error.issues.map((i) => i.message).join('; ')}`);
    return r.data;
  }

  writeSpec(spec: UpSpec): void {
    fs.mkdirSync(this.dir, {recursive: true});
    writeAtomic(this.specFile, JSON.stringify(specSchema.parse(spec), null, 2) + '\n');
  }

  /** The secret every broker gets with --cluster-secret-file: made here, once, so that no two brokers race to make it. */
  ensureSecret(): void {
    fs.mkdirSync(this.dir, {recursive: true});
    try {
      fs.writeFileSync(this.secretFile, crypto.randomBytes(32).toString('hex') + '\n', {flag: 'wx', mode: 0o600});
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** Whether 127.0.0.1:port can be bound right now. */
export async function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * Free loopback ports, all different. Picked below Linux's ephemeral range (32768 and up), so that no outgoing
 * connection takes one between now and a broker binding it, nor on a later re-run.
 */
export async function freePorts(n: number, random: () => number = Math.random): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const port = 20_000 + Math.floor(random() * 12_000);
    if (!out.includes(port) && (await canBind(port))) out.push(port);
  }
  return out;
}

/** Fails clearly when a recorded port is taken (another program, or this cluster already running). */
export async function checkPortsFree(spec: UpSpec, specFile: string): Promise<void> {
  const wanted = [
    ...spec.brokers.flatMap((b) => [
      {port: b.port, what: `broker ${b.id}'s client port`},
      {port: b.peer_port, what: `broker ${b.id}'s peer port`},
    ]),
    ...(spec.lb ? [{port: spec.lb.port, what: "the lb's port"}] : []),
  ];
  for (const w of wanted) {
    if (!(await canBind(w.port))) {
      throw new MqError('UNAVAILABLE', `127.0.0.1:${w.port} (${w.what}, recorded in ${specFile}) is in use: stop what holds it (if an earlier mq up was killed, mq down stops what it left), or use another --data-dir`);
    }
  }
}

export const brokerUrl = (port: number): string => `http://127.0.0.1:${port}`;
