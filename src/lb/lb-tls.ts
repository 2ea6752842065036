import tls from 'node:tls';
import {Agent} from 'undici';
import {MqError} from '../errors.js';
import {readCaFile} from '../security/tls-ca.js';
import {readCertAndKey} from '../security/tls-settings.js';

/** The lb's TLS settings: its own certificate (https for clients) and the CA its brokers' certificates come from. */
export interface LbTlsSettings {
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly ca?: string;
}

const label = (which: 'cert' | 'key'): string => (which === 'cert' ? 'tlsCert (MQ_LB_TLS_CERT)' : 'tlsKey (MQ_LB_TLS_KEY)');

/** Checked when the config is resolved, so a wrong file stops the lb before it listens. */
export function checkLbTls(s: LbTlsSettings): void {
  if (Boolean(s.tlsCert) !== Boolean(s.tlsKey)) throw new MqError('INVALID_CONFIG', 'the lb\'s tlsCert and tlsKey go together (--tls-cert and --tls-key)');
  lbServerTls(s);
  upstreamConnectOptions(s);
}

export function lbServerTls(s: LbTlsSettings): {cert: Buffer; key: Buffer} | undefined {
  return s.tlsCert && s.tlsKey ? readCertAndKey(s.tlsCert, s.tlsKey, label) : undefined;
}

/** undici `connect` options for https brokers: the system's roots plus the configured CA. */
export function upstreamConnectOptions(s: LbTlsSettings): {ca: string[]} | undefined {
  return s.ca ? {ca: [...tls.rootCertificates, readCaFile(s.ca, 'ca (MQ_LB_CA)')]} : undefined;
}

/** For one-off requests (discovery) to brokers: a dispatcher that trusts the CA, or undefined for the default. */
export function upstreamAgent(s: LbTlsSettings): Agent | undefined {
  const connect = upstreamConnectOptions(s);
  return connect ? new Agent({connect}) : undefined;
}
