/**
 * Taking over an HTTP connection for a bidirectional stream (attach, exec start), the way
 * dockerd does: a client that sent `Connection: Upgrade` / `Upgrade: tcp` gets
 * `101 UPGRADED` and then raw bytes both ways; one that did not gets a normal 200 response
 * whose body is the stream (output only, no stdin).
 */
import type { Readable, Writable } from 'node:stream';
import type { z } from 'zod';
import { InvalidParameterError } from '../../util/errors.js';
import { parseJSONBody, type RequestContext } from '../http.js';

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

/**
 * The body of an upgrade request (exec start sends JSON with `Connection: Upgrade`). Node
 * does not parse bodies of upgrade requests: the bytes are in `head` or still on the
 * socket. Reads `Content-Length` bytes and leaves anything after them as `head`.
 */
export async function readUpgradeBody(ctx: RequestContext, limit = 1024 * 1024): Promise<Buffer> {
  const up = ctx.upgrade;
  if (!up) return Buffer.alloc(0);
  const length = Number(ctx.req.headers['content-length'] ?? 0);
  if (!Number.isInteger(length) || length <= 0) return Buffer.alloc(0);
  if (length > limit) throw new InvalidParameterError(`request body is larger than ${limit} bytes`);
  let buf = up.head;
  while (buf.length < length) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (d: Buffer) => {
        cleanup();
        up.socket.pause();
        resolve(d);
      };
      const onEnd = () => {
        cleanup();
        resolve(null);
      };
      const cleanup = () => {
        up.socket.off('data', onData);
        up.socket.off('end', onEnd);
        up.socket.off('close', onEnd);
      };
      up.socket.on('data', onData);
      up.socket.once('end', onEnd);
      up.socket.once('close', onEnd);
      up.socket.resume();
    });
    if (!chunk) throw new InvalidParameterError('request body ended early');
    buf = Buffer.concat([buf, chunk]);
  }
  up.head = buf.subarray(length);
  return buf.subarray(0, length);
}

/** Parses a JSON upgrade-request body with a zod schema (empty = `{}`). */
export async function readUpgradeJSON<T>(ctx: RequestContext, schema: z.ZodType<T>): Promise<T> {
  return parseJSONBody(await readUpgradeBody(ctx), schema);
}
