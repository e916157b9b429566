import type { ServerResponse } from 'node:http';
import { errorMessage } from '../util/errors.js';

/**
 * Docker's JSON message stream (pull, push, build, import, load): one JSON object per line,
 * flushed as it happens. Errors after the 200 header go in-band as `errorDetail`, which the
 * docker CLI prints and turns into a non-zero exit.
 */
export class JSONMessageStream {
  constructor(private readonly res: ServerResponse) {
    if (!res.headersSent) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
    }
  }

  write(message: Record<string, unknown>): void {
    if (!this.res.writableEnded) this.res.write(JSON.stringify(message) + '\r\n');
  }

  status(status: string, id?: string): void {
    this.write(id ? { status, id } : { status });
  }

  stream(text: string): void {
    this.write({ stream: text });
  }

  error(err: unknown): void {
    const message = errorMessage(err);
    this.write({ errorDetail: { message }, error: message });
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end();
  }
}
