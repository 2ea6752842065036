import http from 'node:http';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/**
 * A minimal SSE reader (the browser's EventSource is not in Node 20): opens the stream, parses events, and hands
 * them to `onEvent` until it returns false or close() is called. Comments (heartbeats) are counted.
 */
export class SseReader {
  readonly events: SseEvent[] = [];
  heartbeats = 0;
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  private req: http.ClientRequest | undefined;
  private done!: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly headers_: Record<string, string> = {},
  ) {}

  open(onEvent: (e: SseEvent) => boolean | void = () => true): Promise<void> {
    let resolveOpen!: () => void;
    let rejectOpen!: (e: unknown) => void;
    const opened = new Promise<void>((res, rej) => ((resolveOpen = res), (rejectOpen = rej)));
    this.done = new Promise<void>((resolve) => {
      this.req = http.get(this.url, {headers: {accept: 'text/event-stream', ...this.headers_}}, (res) => {
        this.status = res.statusCode ?? 0;
        this.headers = res.headers;
        resolveOpen();
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) !== -1) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const e: SseEvent = {event: 'message', data: ''};
            let isComment = true;
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) continue;
              isComment = false;
              const c = line.indexOf(':');
              const field = c === -1 ? line : line.slice(0, c);
              const value = c === -1 ? '' : line.slice(c + 1).replace(/^ /, '');
              if (field === 'id') e.id = value;
              else if (field === 'event') e.event = value;
              else if (field === 'data') e.data += (e.data ? '\n' : '') + value;
            }
            if (isComment) {
              if (block.includes('heartbeat')) this.heartbeats++;
              continue;
            }
            if (block.startsWith('retry:') && !block.includes('data:')) continue;
            this.events.push(e);
            if (onEvent(e) === false) {
              this.close();
              return;
            }
          }
        });
        res.on('end', resolve);
        res.on('close', resolve);
      });
      this.req.on('error', (err) => {
        rejectOpen(err);
        resolve();
      });
    });
    return opened;
  }

  /** The last event id seen, as EventSource would send it on reconnect. */
  get lastEventId(): string | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) if (this.events[i]!.id !== undefined) return this.events[i]!.id;
    return undefined;
  }

  close(): void {
    this.req?.destroy();
  }

  finished(): Promise<void> {
    return this.done;
  }
}
