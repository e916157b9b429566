/**
 * One attach session: copies a process' output to a hijacked client connection (framed or
 * raw) and the client's input to the process, until one of three things happens:
 *
 * - the process exits: conmon closes the attach socket, the output is flushed, the stream ends;
 * - the client detaches (detach keys, or its input ends where Docker does not close stdin);
 * - the client goes away.
 *
 * Docker's rule for the client's input EOF: close the process' stdin when `closeStdin`
 * (StdinOnce, exec) and there is no TTY, and keep streaming output; otherwise end the session.
 */
import type { AttachStream } from '../../runtime/attach.js';
import { DetachScanner } from './detach-keys.js';
import type { HijackedConnection } from './hijack.js';
import { STDERR, STDOUT, outputSink, type OutputSink } from './mux.js';

export type SessionEnd = 'exited' | 'detached' | 'client-gone';

export interface SessionOptions {
  io: AttachStream;
  client: HijackedConnection;
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** The detach sequence; empty disables detaching by keys. */
  detachKeys: Buffer;
  closeStdin: boolean;
  /** Runs after the process' output ended and before the client's stream is ended. */
  beforeEnd?: () => Promise<void>;
}

async function copyOutput(src: NodeJS.ReadableStream, forward: boolean, sink: OutputSink, stream: typeof STDOUT | typeof STDERR): Promise<void> {
  try {
    for await (const chunk of src as AsyncIterable<Buffer>) if (forward) await sink(stream, chunk);
  } catch {
    // The attach socket failed: treated as the end of output.
  }
}

export function runSession(o: SessionOptions): Promise<SessionEnd> {
  const { io, client } = o;
  const sink = outputSink(client.output, { tty: o.tty });
  return new Promise<SessionEnd>((resolve) => {
    let settled = false;
    const finish = (how: SessionEnd) => {
      if (settled) return;
      settled = true;
      stopInput();
      if (how !== 'exited') io.close();
      if (how === 'client-gone') client.destroy();
      else client.end();
      resolve(how);
    };

    // Output: both streams until conmon closes the socket.
    const outputDone = Promise.all([copyOutput(io.stdout, o.stdout, sink, STDOUT), copyOutput(io.stderr, o.stderr, sink, STDERR)]);
    void outputDone.then(async () => {
      if (settled) return;
      await o.beforeEnd?.().catch(() => undefined);
      finish('exited');
    });

    // Input: to the process' stdin, watching for the detach keys.
    const input = client.input;
    const scanner = new DetachScanner(o.detachKeys);
    const onData = (chunk: Buffer) => {
      if (!o.stdin) return;
      const { data, detached } = scanner.push(chunk);
      if (data.length > 0 && !io.stdin.write(data)) {
        input?.pause();
        io.stdin.once('drain', () => input?.resume());
      }
      if (detached) finish('detached');
    };
    const onEnd = () => {
      if (!o.stdin) return;
      if (o.closeStdin && !o.tty) io.closeStdin();
      else finish('detached');
    };
    const stopInput = () => {
      input?.off('data', onData);
      input?.off('end', onEnd);
    };
    if (input) {
      input.on('data', onData);
      input.on('end', onEnd);
      input.resume(); // reading the request body may have paused it
    }
    void client.closed.then(() => finish('client-gone'));
  });
}
