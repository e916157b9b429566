/**
 * Taking over an HTTP connection for a bidirectional stream (attach, exec start), the way
 * dockerd does: a client that sent `Connection: Upgrade` / `Upgrade: tcp` gets
 * `101 UPGRADED` and then raw bytes both ways; one that did not gets a normal 200 response
 * whose body is the stream (output only, no stdin).
 */
import type { Readable, Writable } from 'node:stream';
import type { RequestContext } from '../http.js';

export const RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

export interface HijackedConnection {
  /** Bytes to the client. */
  output: Writable;
  /** Bytes from the client (the process' stdin); only on an upgraded connection. */
  input?: Readable;
  /** Ends the stream once everything written so far is flushed. */
  end(): void;
  /** Drops the connection at once. */
  destroy(): void;
  /** Resolves when the connection is gone, whichever side closed it. */
  closed: Promise<void>;
  /** True once the connection is gone. */
  readonly isClosed: boolean;
}

/**
 * Sends the response head and hands the connection over. After this, errors can no longer
 * be reported as JSON: callers write them into the stream or drop the connection.
 */
export function hijack(ctx: RequestContext, contentType: string): HijackedConnection {
  let isClosed = false;
  let markClosed!: () => void;
  const closed = new Promise<void>((r) => (markClosed = r));
  const onClose = () => {
    isClosed = true;
    markClosed();
  };

  if (ctx.upgrade) {
    const { socket, head } = ctx.upgrade;
    ctx.res.statusCode = 101; // for the request log; the head is written by hand below
    socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
    if (head.length > 0) socket.unshift(head);
    socket.once('close', onClose);
    socket.on('error', () => socket.destroy());
    return {
      output: socket,
      input: socket,
      end: () => {
        if (!socket.writableEnded) socket.end();
        // A client that never half-closes its side would keep the socket open forever.
        socket.once('finish', () => setTimeout(() => socket.destroy(), 1000).unref());
      },
      destroy: () => socket.destroy(),
      closed,
      get isClosed() {
        return isClosed;
      },
    };
  }

  const { res } = ctx;
  res.writeHead(200, { 'Content-Type': contentType });
  res.flushHeaders();
  res.once('close', onClose);
  return {
    output: res,
    end: () => {
      if (!res.writableEnded) res.end();
    },
    destroy: () => res.destroy(),
    closed,
    get isClosed() {
      return isClosed;
    },
  };
}
