import {Flags} from '@oclif/core';
import {MqCommand, UsageError, jsonFlag} from '../../src/cli/base-command.js';

export default class CertDev extends MqCommand {
  static override summary = 'Make a development CA and a certificate for trying TLS.';
  static override description =
    'Writes ca.crt and ca.key (a new CA), and server.crt and server.key (signed by it, for localhost, 127.0.0.1, ::1 and --hosts) into --out, ' +
    'then prints the commands to start a TLS broker and to point clients at the CA. The one certificate serves the client API (--tls-cert), ' +
    'mq lb, and mutual TLS between brokers (--peer-tls-cert). For development only: keep ca.key private, and use your own CA in production.';

  static override examples = [
    {description: 'Certificates in ./mq-certs, then a TLS broker', command: '<%= config.bin %> cert dev'},
    {description: 'Also valid for other names (brokers on other machines)', command: '<%= config.bin %> cert dev --out certs --hosts broker1.lan,10.0.0.5'},
  ];

  static override flags = {
    out: Flags.string({description: 'Directory to write the files to (created if missing).', default: 'mq-certs'}),
    hosts: Flags.string({description: 'More host names or IP addresses for the certificate, comma-separated (localhost, 127.0.0.1 and ::1 are always in).'}),
    force: Flags.boolean({description: 'Replace files that already exist.'}),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(CertDev);
    this.jsonMode = flags.json;
    // loaded here, not at the top: every mq command imports every command class, and node-forge is large
    const {parseHosts, writeDevCerts} = await import('../../src/security/cert-dev.js');
    let hosts: string[];
    try {
      hosts = parseHosts(flags.hosts);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const f = writeDevCerts(flags.out, hosts, {force: flags.force});
    const q = (p: string): string => (/^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replaceAll("'", "'\\''")}'`);
    const human = [
      `Wrote a development CA and a certificate for ${f.hosts.join(', ')} (valid until ${f.notAfter.toISOString().slice(0, 10)}):`,
      `  ${f.ca}   the CA: clients trust it (--ca / MQ_CA)`,
      `  ${f.caKey}   the CA's private key: keep it private`,
      `  ${f.cert}   the certificate: brokers and mq lb serve it`,
      `  ${f.key}   its private key`,
      '',
      'Start a broker with TLS:',
      `  ${this.config.bin} broker start --tls-cert ${q(f.cert)} --tls-key ${q(f.key)}`,
      '',
      'Point clients at it and the CA:',
      `  export MQ_URL=https://127.0.0.1:7070 MQ_CA=${q(f.ca)}`,
      `  ${this.config.bin} produce demo hello && ${this.config.bin} consume demo --max 1`,
      `  curl --cacert ${q(f.ca)} https://127.0.0.1:7070/health`,
      '',
      'Node client library: new Producer({url: "https://127.0.0.1:7070", ca: fs.readFileSync(' + JSON.stringify(f.ca) + ')})',
      '',
      'Mutual TLS between the brokers of a cluster (add to every broker start):',
      `  --peer-tls-cert ${q(f.cert)} --peer-tls-key ${q(f.key)} --peer-tls-ca ${q(f.ca)}`,
    ].join('\n');
    this.out(human, {dir: f.dir, ca: f.ca, ca_key: f.caKey, cert: f.cert, key: f.key, hosts: f.hosts, not_after: f.notAfter.toISOString()});
  }
}
