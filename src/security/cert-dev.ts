import {generateKeyPairSync, randomBytes} from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import forge from 'node-forge';
import {MqError} from '../errors.js';

/*
 * `mq cert dev`: a development CA and one certificate signed by it, good for a broker's client API, for `mq lb`, and
 * for mutual TLS between brokers (its extended key usage allows both server and client authentication). node-forge
 * builds and signs the X.509 structures; the RSA keys come from Node's own crypto (native, fast).
 */

export const DEV_HOSTS = ['localhost', '127.0.0.1', '::1'];
const CA_DAYS = 3650;
const CERT_DAYS = 825;
const DAY_MS = 86_400_000;

export interface DevCertFiles {
  dir: string;
  ca: string;
  caKey: string;
  cert: string;
  key: string;
  hosts: string[];
  notAfter: Date;
}

/** Splits `--hosts a,b` and checks each is an IP address or a DNS name (`*.` allowed in front). */
export function parseHosts(list: string | undefined): string[] {
  const extra = (list ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  for (const h of extra) {
    if (net.isIP(h) === 0 && !/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/.test(h)) {
      throw new MqError('INVALID_FIELD', `--hosts: ${JSON.stringify(h)} is neither an IP address nor a host name`);
    }
  }
  return [...new Set([...DEV_HOSTS, ...extra])];
}

function rsaKey(): forge.pki.rsa.PrivateKey {
  const {privateKey} = generateKeyPairSync('rsa', {modulusLength: 2048, privateKeyEncoding: {type: 'pkcs1', format: 'pem'}, publicKeyEncoding: {type: 'spki', format: 'pem'}});
  return forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
}

function newCert(key: forge.pki.rsa.PrivateKey, now: number, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  // a positive serial: the leading byte's high bit clear
  cert.serialNumber = `0${randomBytes(16).toString('hex')}`.slice(0, 32);
  // a minute back, so that a clock a little behind the signer's still accepts it
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + days * DAY_MS);
  return cert;
}

function altName(h: string): {type: number; value?: string; ip?: string} {
  return net.isIP(h) ? {type: 7, ip: h} : {type: 2, value: h};
}

/** Makes the CA and the certificate (in memory): PEM texts. `now` is injectable for tests. */
export function makeDevCerts(hosts: string[], now = Date.now()): {ca: string; caKey: string; cert: string; key: string; notAfter: Date} {
  const caKey = rsaKey();
  const ca = newCert(caKey, now, CA_DAYS);
  const caName = [
    {name: 'commonName', value: `mq development CA ${new Date(now).toISOString().slice(0, 10)} ${randomBytes(3).toString('hex')}`},
    {name: 'organizationName', value: 'mq (development only)'},
  ];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    {name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true},
    {name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true},
    {name: 'subjectKeyIdentifier'},
  ]);
  ca.sign(caKey, forge.md.sha256.create());

  const key = rsaKey();
  const cert = newCert(key, now, CERT_DAYS);
  cert.setSubject([{name: 'commonName', value: hosts[0] ?? 'localhost'}, {name: 'organizationName', value: 'mq (development only)'}]);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([
    {name: 'basicConstraints', cA: false, critical: true},
    {name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true},
    {name: 'extKeyUsage', serverAuth: true, clientAuth: true},
    {name: 'subjectAltName', altNames: hosts.map(altName)},
    {name: 'subjectKeyIdentifier'},
    {name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes()},
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return {
    ca: forge.pki.certificateToPem(ca),
    caKey: forge.pki.privateKeyToPem(caKey),
    cert: forge.pki.certificateToPem(cert),
    key: forge.pki.privateKeyToPem(key),
    notAfter: cert.validity.notAfter,
  };
}

/** Writes ca.crt, ca.key, server.crt, server.key into `dir` (keys mode 0600); refuses to overwrite unless `force`. */
export function writeDevCerts(dir: string, hosts: string[], opts: {force?: boolean; now?: number} = {}): DevCertFiles {
  const abs = path.resolve(dir);
  const files = {ca: path.join(abs, 'ca.crt'), caKey: path.join(abs, 'ca.key'), cert: path.join(abs, 'server.crt'), key: path.join(abs, 'server.key')};
  const existing = Object.values(files).filter((f) => fs.existsSync(f));
  if (existing.length > 0 && !opts.force) {
    throw new MqError('INVALID_CONFIG', `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; use --force to replace, or another --out`);
  }
  const pem = makeDevCerts(hosts, opts.now);
  fs.mkdirSync(abs, {recursive: true});
  fs.writeFileSync(files.ca, pem.ca);
  fs.writeFileSync(files.cert, pem.cert);
  for (const [f, text] of [[files.caKey, pem.caKey], [files.key, pem.key]] as const) {
    fs.writeFileSync(f, text, {mode: 0o600});
    fs.chmodSync(f, 0o600);
  }
  return {dir: abs, ...files, hosts, notAfter: pem.notAfter};
}
