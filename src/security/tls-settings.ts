import {X509Certificate, createPrivateKey} from 'node:crypto';
import fs from 'node:fs';
import tls from 'node:tls';
import {MqError} from '../errors.js';

/*
 * The broker's TLS settings (PEM file names) turned into key material, checked once at start-up so that a wrong path
 * or a key that does not match its certificate stops the broker with a message naming the setting, not a TLS error on
 * the first connection.
 */

export interface TlsSettings {
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly peerTlsCert?: string;
  readonly peerTlsKey?: string;
  readonly peerTlsCa?: string;
}

/** The client API's certificate and key (https). */
export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** This broker's identity towards the other brokers, and the CA their certificates must be signed by. */
export interface PeerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
}

const ENV: Record<keyof TlsSettings, string> = {
  tlsCert: 'MQ_TLS_CERT',
  tlsKey: 'MQ_TLS_KEY',
  peerTlsCert: 'MQ_PEER_TLS_CERT',
  peerTlsKey: 'MQ_PEER_TLS_KEY',
  peerTlsCa: 'MQ_PEER_TLS_CA',
};

function invalid(key: keyof TlsSettings, message: string): MqError {
  return new MqError('INVALID_CONFIG', `invalid setting ${key} (${ENV[key]}): ${message}`);
}

/** Reads a PEM file and checks that it holds what it should; `setting` names it in the error, e.g. "tlsCert (MQ_TLS_CERT)". */
export function readPem(file: string, kind: 'certificate' | 'private key', setting: string): Buffer {
  let pem: Buffer;
  try {
    pem = fs.readFileSync(file);
  } catch (error) {
    throw new MqError('INVALID_CONFIG', `invalid setting ${setting}: cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    if (kind === 'certificate') new X509Certificate(pem);
    else createPrivateKey(pem);
  } catch (error) {
    throw new MqError('INVALID_CONFIG', `invalid setting ${setting}: ${file} does not hold a PEM ${kind}: ${(error as Error).message}`);
  }
  return pem;
}

/** A certificate and its key, checked to belong together; `label` maps a setting to how the error names it. */
export function readCertAndKey(certFile: string, keyFile: string, label: (which: 'cert' | 'key') => string): {cert: Buffer; key: Buffer} {
  const cert = readPem(certFile, 'certificate', label('cert'));
  const key = readPem(keyFile, 'private key', label('key'));
  if (!new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) {
    throw new MqError('INVALID_CONFIG', `invalid setting ${label('key')}: ${keyFile} is not the key of the certificate in ${certFile}`);
  }
  return {cert, key};
}

const named = (key: keyof TlsSettings): string => `${key} (${ENV[key]})`;

function certAndKey(s: TlsSettings, certKey: 'tlsCert' | 'peerTlsCert', keyKey: 'tlsKey' | 'peerTlsKey'): {cert: Buffer; key: Buffer} {
  return readCertAndKey(s[certKey]!, s[keyKey]!, (which) => named(which === 'cert' ? certKey : keyKey));
}

export function serverTlsOf(s: TlsSettings): ServerTls | undefined {
  return s.tlsCert && s.tlsKey ? certAndKey(s, 'tlsCert', 'tlsKey') : undefined;
}

export function peerTlsOf(s: TlsSettings): PeerTls | undefined {
  if (!s.peerTlsCert || !s.peerTlsKey || !s.peerTlsCa) return undefined;
  return {...certAndKey(s, 'peerTlsCert', 'peerTlsKey'), ca: readPem(s.peerTlsCa, 'certificate', named('peerTlsCa'))};
}

/** Called by the config resolver: the settings come in sets, and every file must be usable. */
export function checkTlsSettings(s: TlsSettings): void {
  if (Boolean(s.tlsCert) !== Boolean(s.tlsKey)) throw invalid(s.tlsCert ? 'tlsKey' : 'tlsCert', 'tlsCert and tlsKey go together (--tls-cert and --tls-key)');
  const peer = [s.peerTlsCert, s.peerTlsKey, s.peerTlsCa].filter(Boolean).length;
  if (peer !== 0 && peer !== 3) {
    const missing = (['peerTlsCert', 'peerTlsKey', 'peerTlsCa'] as const).find((k) => !s[k])!;
    throw invalid(missing, 'mutual TLS between brokers needs all of --peer-tls-cert, --peer-tls-key and --peer-tls-ca');
  }
  serverTlsOf(s);
  peerTlsOf(s);
}

/**
 * undici `connect` options for a broker calling another broker's client API: trust the cluster's CA (as well as the
 * system's roots, for a client API with a public certificate) and present this broker's certificate.
 */
export function peerConnectOptions(peerTls: PeerTls | undefined): {ca: string[]; cert: Buffer; key: Buffer} | undefined {
  if (!peerTls) return undefined;
  return {ca: [...tls.rootCertificates, peerTls.ca.toString('utf8')], cert: peerTls.cert, key: peerTls.key};
}
