import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {MqError} from '../errors.js';

export interface BootstrapMember {
  id: number;
  /** host:port of the member's peer listener. */
  peer: string;
}

/** `--bootstrap 1@10.0.0.1:7071,2@10.0.0.2:7071,3@10.0.0.3:7071`: the founding members and their peer addresses. */
export function parseBootstrap(list: string): BootstrapMember[] {
  const members = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((item) => {
      const m = /^(\d+)@((?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5})$/.exec(item);
      if (!m || Number(m[1]) < 1 || !Number.isSafeInteger(Number(m[1]))) {
        throw new MqError('INVALID_CONFIG', `invalid bootstrap member ${JSON.stringify(item)}: expected id@host:port (for example 1@127.0.0.1:7071)`);
      }
      return {id: Number(m[1]), peer: m[2]!};
    });
  if (members.length === 0) throw new MqError('INVALID_CONFIG', 'the bootstrap list is empty');
  const ids = new Set(members.map((m) => m.id));
  if (ids.size !== members.length) throw new MqError('INVALID_CONFIG', `the bootstrap list names a broker id twice (${list})`);
  return members.sort((a, b) => a.id - b.id);
}

const SECRET_FILE = 'cluster.secret';

/** The cluster id every message and handshake carries: derived from the secret, so a mismatch is caught at once. */
export function clusterIdFor(secret: Buffer): string {
  return crypto.createHash('sha256').update('mq-cluster-id\0').update(secret).digest('hex').slice(0, 16);
}

function readSecret(file: string): Buffer {
  const text = fs.readFileSync(file, 'utf8').trim();
  if (text.length < 32) throw new MqError('INVALID_CONFIG', `cluster secret ${file} is too short (at least 32 characters)`);
  return Buffer.from(text, 'utf8');
}

/**
 * Creates a secret file unless it exists. Brokers started together on one machine race for it: the secret is written
 * whole to a private temporary file and then linked into place (a link fails if the name exists), so the first one
 * wins and nobody ever reads a half-written file.
 */
function createSecretFile(file: string): void {
  if (fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(path.resolve(file)), {recursive: true});
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeSync(fd, crypto.randomBytes(32).toString('hex') + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    fs.rmSync(tmp, {force: true});
  }
}

/**
 * The shared cluster secret: from --cluster-secret-file (created if missing), kept in the data directory so that a
 * restart needs no flag. A one-member bootstrap may generate it; several founders must share one file.
 */
export function loadClusterSecret(opts: {dataDir: string | undefined; secretFile: string | undefined; founders: number}): Buffer {
  const stored = opts.dataDir ? path.join(opts.dataDir, SECRET_FILE) : undefined;
  if (opts.secretFile) {
    if (Number.isFinite(opts.founders)) createSecretFile(opts.secretFile);
    else if (!fs.existsSync(opts.secretFile)) throw new MqError('INVALID_CONFIG', `cluster secret ${opts.secretFile} does not exist: a joining broker needs the file the cluster was started with`);
    const secret = readSecret(opts.secretFile);
    if (stored) {
      if (fs.existsSync(stored) && !readSecret(stored).equals(secret)) {
        throw new MqError('INVALID_CONFIG', `--cluster-secret-file ${opts.secretFile} differs from the secret this data directory already belongs to (${stored})`);
      }
      writeStored(stored, secret);
    }
    return secret;
  }
  if (stored && fs.existsSync(stored)) return readSecret(stored);
  if (opts.founders > 1 || !stored) {
    throw new MqError(
      'INVALID_CONFIG',
      Number.isFinite(opts.founders)
        ? 'brokers of a cluster must share a secret: pass the same --cluster-secret-file to each (it is created if missing)'
        : 'joining a cluster needs its secret: pass --cluster-secret-file with the file the cluster was started with',
    );
  }
  createSecretFile(stored);
  return readSecret(stored);
}

function writeStored(file: string, secret: Buffer): void {
  if (fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(file), {recursive: true});
  fs.writeFileSync(file, secret.toString('utf8') + '\n', {mode: 0o600});
}
