import {Command, Flags, Errors, type Interfaces} from '@oclif/core';
import {MqClient} from '../client/index.js';
import {MqError} from '../errors.js';
import {ExitCode} from './exit-codes.js';
import {c} from './output.js';
import {resolveConnection, type Connection} from './context-resolve.js';
import {readCaFile} from '../security/tls-ca.js';

/** An https URL given as http (or the reverse) fails as a broken connection: say what is likely wrong. */
function tlsHint(err: MqError): string {
  const cause = String(err.details?.cause ?? '');
  if (cause === 'UND_ERR_SOCKET' || cause === 'ECONNRESET') return ' (if the server speaks TLS, use an https:// URL)';
  if (cause === 'EPROTO' || /wrong version number|packet length too long/i.test(err.message)) return ' (the server does not speak TLS: use an http:// URL)';
  return '';
}

/** Flags every command that talks to a broker takes (DESIGN §7). */
export const connectionFlags = {
  url: Flags.string({description: 'Broker or lb URL.', env: 'MQ_URL', default: 'http://127.0.0.1:7070', helpGroup: 'GLOBAL'}),
  token: Flags.string({description: 'Bearer token.', env: 'MQ_TOKEN', helpGroup: 'GLOBAL'}),
  ca: Flags.string({description: 'CA certificate (PEM file) to trust for an https URL.', env: 'MQ_CA', helpGroup: 'GLOBAL'}),
  context: Flags.string({description: 'Use this named context (mq context list); also MQ_CONTEXT.', helpGroup: 'GLOBAL'}),
  json: Flags.boolean({description: 'Machine-readable JSON output.', default: false, helpGroup: 'GLOBAL'}),
};

export const jsonFlag = {json: connectionFlags.json};

/** Maps typed errors to exit codes and prints them once, as JSON with --json, else as one readable line. */
export abstract class MqCommand extends Command {
  protected jsonMode = false;
  /** Where a command that takes --context talks to, resolved as DESIGN §7 says (set by parse). */
  protected connection: Connection | undefined;
  private clients: MqClient[] = [];

  /**
   * For commands that take --context: replaces `url` and `token` with the resolved connection (flags > --context >
   * MQ_URL/MQ_TOKEN > MQ_CONTEXT > directory context > selected context > config file > defaults). oclif fills a flag
   * from its environment variable or default too, so only what was typed counts as a flag here.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- oclif's own bounds (its FlagOutput is not exported)
  protected override async parse<F extends {[name: string]: any}, B extends {[name: string]: any}, A extends {[name: string]: any}>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const out = await super.parse(options, argv);
    if (!options?.flags || !('context' in options.flags) || !('url' in options.flags)) return out;
    const flags = out.flags as Record<string, unknown>;
    const typed = (name: string): boolean => out.raw.some((t) => t.type === 'flag' && t.flag === name);
    const conn = resolveConnection({
      flags: {
        url: typed('url') ? (flags.url as string | string[]) : undefined,
        token: typed('token') ? (flags.token as string) : undefined,
        ca: typed('ca') ? (flags.ca as string) : undefined,
        context: flags.context as string | undefined,
      },
      env: process.env,
      cwd: process.cwd(),
    });
    this.connection = conn;
    if (!typed('url')) flags.url = Array.isArray(flags.url) ? conn.urls : conn.url;
    if ('token' in options.flags) flags.token = conn.token;
    if ('ca' in options.flags) flags.ca = conn.ca;
    return out;
  }

  /** The PEM text of the CA the connection trusts (`--ca`, MQ_CA, or the context's), if any; read once. */
  protected caPem(): string | undefined {
    const file = this.connection?.ca;
    if (!file) return undefined;
    return (this.caText ??= readCaFile(file));
  }

  private caText: string | undefined;

  protected makeClient(flags: {url: string; token?: string}, opts: {timeoutMs?: number} = {}): MqClient {
    const client = new MqClient({url: flags.url, token: flags.token, ca: this.caPem(), timeoutMs: opts.timeoutMs});
    this.clients.push(client);
    return client;
  }

  /** Writes one line to stdout: JSON text when --json, otherwise the human line. */
  protected out(human: string, json?: unknown): void {
    if (this.jsonMode) {
      if (json !== undefined) process.stdout.write(JSON.stringify(json) + '\n');
    } else {
      process.stdout.write(human + '\n');
    }
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    await Promise.allSettled(this.clients.map((cl) => cl.close()));
    return super.finally(err);
  }

  protected exitCodeFor(error: MqError): number {
    return error.code === 'TIMEOUT' ? ExitCode.Timeout : ExitCode.Error;
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (err instanceof Errors.ExitError || err.oclif?.exit !== undefined) throw err;
    if (err instanceof MqError) {
      const hint = err.code === 'UNAVAILABLE' && /ECONNREFUSED/.test(err.message) ? ' (is a broker running? start one with: mq broker start)' : tlsHint(err);
      if (this.jsonMode) process.stdout.write(JSON.stringify(err.toBody()) + '\n');
      else process.stderr.write(`${c.red('error')} ${err.code}: ${err.message}${hint}\n`);
      return this.exit(this.exitCodeFor(err));
    }
    if (err instanceof Errors.CLIError && /Parsing|flag|argument|Unexpected/i.test(err.message)) throw err;
    if (err instanceof Error && err.name === 'UsageError') {
      process.stderr.write(`${c.red('error')} ${err.message}\n`);
      return this.exit(ExitCode.Usage);
    }
    return super.catch(err);
  }
}

export {UsageError} from './usage-error.js';
