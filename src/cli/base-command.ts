import {Command, Flags, Errors} from '@oclif/core';
import {MqClient} from '../client/index.js';
import {MqError} from '../errors.js';
import {ExitCode} from './exit-codes.js';
import {c} from './output.js';

/** Flags every command that talks to a broker takes (DESIGN §7). */
export const connectionFlags = {
  url: Flags.string({description: 'Broker or lb URL.', env: 'MQ_URL', default: 'http://127.0.0.1:7070', helpGroup: 'GLOBAL'}),
  token: Flags.string({description: 'Bearer token.', env: 'MQ_TOKEN', helpGroup: 'GLOBAL'}),
  json: Flags.boolean({description: 'Machine-readable JSON output.', default: false, helpGroup: 'GLOBAL'}),
};

export const jsonFlag = {json: connectionFlags.json};

/** Maps typed errors to exit codes and prints them once, as JSON with --json, else as one readable line. */
export abstract class MqCommand extends Command {
  protected jsonMode = false;
  private clients: MqClient[] = [];

  protected makeClient(flags: {url: string; token?: string}, opts: {timeoutMs?: number} = {}): MqClient {
    const client = new MqClient({url: flags.url, token: flags.token, timeoutMs: opts.timeoutMs});
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
      const hint = err.code === 'UNAVAILABLE' && /ECONNREFUSED/.test(err.message) ? ' (is a broker running? start one with: mq broker start)' : '';
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

/** A usage problem the flag parser cannot see (e.g. two flags that exclude each other): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
