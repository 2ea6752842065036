/** TLS for a LocalCluster's brokers: PEM files, e.g. from `mq cert dev`. */
export interface LocalClusterTls {
  /** The brokers' certificate and key, and the CA that signed them (the cluster's own requests trust it). */
  cert: string;
  key: string;
  ca: string;
  /** https on the client API (default true). */
  client?: boolean;
  /** Mutual TLS between the brokers (default true). */
  peer?: boolean;
}

/** The `mq broker start` flags for these settings. */
export function tlsArgs(t: LocalClusterTls | undefined): string[] {
  if (!t) return [];
  return [
    ...(t.client === false ? [] : ['--tls-cert', t.cert, '--tls-key', t.key]),
    ...(t.peer === false ? [] : ['--peer-tls-cert', t.cert, '--peer-tls-key', t.key, '--peer-tls-ca', t.ca]),
  ];
}
