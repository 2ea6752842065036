import net from 'node:net';

/**
 * A TCP proxy in front of a broker's peer listener: the address the other brokers dial. `cut()` drops every
 * connection through it (with whatever it had not passed on yet) and refuses new ones until `heal()`: a network
 * partition that, unlike SIGSTOP, loses what was in flight.
 */
export class PeerProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private open = true;
  port = 0;

  constructor(private readonly target: () => number) {
    this.server = net.createServer((client) => {
      if (!this.open) return void client.destroy();
      const upstream = net.connect(this.target(), '127.0.0.1');
      this.sockets.add(client).add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
      };
      for (const s of [client, upstream]) {
        s.on('error', drop);
        s.on('close', () => (this.sockets.delete(s), drop()));
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = port;
  }

  cut(): void {
    this.open = false;
    for (const s of this.sockets) s.destroy();
  }

  heal(): void {
    this.open = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
