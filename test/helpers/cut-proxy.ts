import net from 'node:net';

/**
 * A TCP proxy that can cut connections at the worst moment: after the broker has answered a request but before the
 * answer reaches the client (so the client cannot know whether its write happened).
 */
export class CutProxy {
  private server: net.Server;
  private sockets = new Set<net.Socket>();
  /** How many upcoming responses to swallow by resetting the connection. */
  cutResponses = 0;
  cuts = 0;
  port = 0;

  constructor(private readonly target: {host: string; port: number}) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      this.sockets.add(client).add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', () => (this.sockets.delete(client), upstream.destroy()));
      upstream.on('close', () => (this.sockets.delete(upstream), client.destroy()));
      client.on('error', drop);
      upstream.on('error', drop);
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        if (this.cutResponses > 0) {
          this.cutResponses--;
          this.cuts++;
          client.resetAndDestroy();
          upstream.destroy();
          return;
        }
        client.write(chunk);
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
