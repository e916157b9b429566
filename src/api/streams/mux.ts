/**
 * Docker's multiplexed stream format (stdcopy), used whenever the process has no TTY:
 * every chunk is preceded by an 8-byte header `[stream, 0, 0, 0, size as uint32 BE]`,
 * stream 0 stdin, 1 stdout, 2 stderr. With a TTY the output is copied raw instead.
 */
import type { Writable } from 'node:stream';

export const STDOUT = 1;
export const STDERR = 2;
export type OutputStream = typeof STDOUT | typeof STDERR;

export function frameHeader(stream: OutputStream, size: number): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(size, 4);
  return header;
}

/** Writes and waits for `out` to take more when it is full (or to go away). */
export function writeWithBackpressure(out: Writable, data: Buffer): Promise<void> {
  if (out.destroyed || out.writableEnded) return Promise.resolve();
  if (out.write(data)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
}

/** A function that sends one chunk of one output stream to the client, framed or raw. */
export type OutputSink = (stream: OutputStream, data: Buffer) => Promise<void>;

export function outputSink(out: Writable, opts: { tty: boolean }): OutputSink {
  if (opts.tty) return (_stream, data) => writeWithBackpressure(out, data);
  return (stream, data) => (data.length === 0 ? Promise.resolve() : writeWithBackpressure(out, Buffer.concat([frameHeader(stream, data.length), data])));
}
