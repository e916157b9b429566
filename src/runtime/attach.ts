/**
 * Attach to a conmon-supervised process through its attach socket.
 *
 * The socket is AF_UNIX SOCK_SEQPACKET, which Node's `net` cannot open; the
 * `node-unix-socket` addon (napi-rs, prebuilt) can. Protocol: every packet from conmon
 * starts with one byte naming the pipe (2 stdout, 3 stderr; with a TTY all output is 2),
 * followed by the data. Packets we send are raw stdin bytes; shutting down our write side
 * makes conmon close the container's stdin (unless it runs with --leave-stdin-open).
 * Terminal resizes go through the `ctl` FIFO next to the socket: `1 <height> <width>\n`.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { SeqpacketSocket } from 'node-unix-socket';
import { ConflictError, SystemError } from '../util/errors.js';

const STDOUT_PIPE = 2;
const STDERR_PIPE = 3;
/** conmon reads at most this much per packet; larger packets would be truncated. */
const MAX_PACKET = 8192;
/** sun_path is 108 bytes; longer paths are reached through /proc/self/fd/<dirfd>. */
const MAX_SOCKET_PATH = 107;

export interface AttachStream {
  stdout: PassThrough;
  stderr: PassThrough;
  /** Bytes written here reach the process' stdin (needs conmon started with stdin). */
  stdin: Writable;
  /** Close the process' stdin (EOF), keep receiving output. */
  closeStdin(): void;
  /** Resize the process' terminal (TTY only). */
  resize(height: number, width: number): Promise<void>;
  /** Detach: output stops, the process keeps running. */
  close(): void;
  /** Resolves when conmon closes the connection (the process exited) or we detached. */
  closed: Promise<void>;
}

export interface AttachOptions {
  socketPath: string;
  ctlFifo: string;
}

function connect(socketPath: string): Promise<{ socket: SeqpacketSocket; release: () => void }> {
  let target = socketPath;
  let dirFd: number | undefined;
  if (socketPath.length > MAX_SOCKET_PATH) {
    dirFd = openSync(path.dirname(socketPath), constants.O_RDONLY | constants.O_DIRECTORY);
    target = `/proc/self/fd/${dirFd}/${path.basename(socketPath)}`;
  }
  const release = () => {
    if (dirFd !== undefined) closeSync(dirFd);
    dirFd = undefined;
  };
  return new Promise((resolve, reject) => {
    const socket = new SeqpacketSocket();
    const onError = (err: Error) => {
      release();
      reject(new ConflictError(`cannot attach: ${err.message}`, { cause: err }));
    };
    socket.once('error', onError);
    try {
      socket.connect(target, () => {
        socket.off('error', onError);
        release();
        resolve({ socket, release });
      });
    } catch (err) {
      onError(err as Error);
    }
  });
}

/** Writes one control message to conmon's ctl FIFO (non-blocking: fails if conmon is gone). */
export async function writeControl(ctlFifo: string, message: string): Promise<void> {
  let fh;
  try {
    fh = await open(ctlFifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new ConflictError(`container is not running (cannot open ${path.basename(ctlFifo)}): ${(err as Error).message}`, { cause: err });
  }
  try {
    await fh.write(message);
  } finally {
    await fh.close();
  }
}

export async function resizeTerminal(ctlFifo: string, height: number, width: number): Promise<void> {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 0 || width < 0) {
    throw new SystemError(`invalid terminal size ${height}x${width}`);
  }
  await writeControl(ctlFifo, `1 ${height} ${width}\n`);
}

export async function attach(opts: AttachOptions): Promise<AttachStream> {
  const { socket } = await connect(opts.socketPath);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let finished = false;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  // Once conmon hangs up (the process is gone) or the socket fails, the output has ended and
  // nothing more can reach stdin: the socket is let go. The addon neither closes a socket that
  // was only read to its end nor opens it close-on-exec, so a kept one is an fd for good, and
  // every program berthd starts inherits it. A failed socket ends the output like a hang-up:
  // the exit code says how the process ended, and readers without an 'error' listener (a
  // health probe) must not bring berthd down.
  const finish = () => {
    if (finished) return;
    finished = true;
    socket.destroy(); // a second call does nothing
    stdout.end();
    stderr.end();
    resolveClosed();
  };

  socket.on('data', (buf: Buffer) => {
    if (buf.length < 1) return;
    const payload = buf.subarray(1);
    if (buf[0] === STDOUT_PIPE) stdout.write(payload);
    else if (buf[0] === STDERR_PIPE) stderr.write(payload);
  });
  socket.on('end', finish);
  socket.on('close', finish);
  socket.on('error', finish);

  let stdinClosed = false;
  const closeStdin = () => {
    if (stdinClosed || finished) return;
    stdinClosed = true;
    socket.end();
  };
  const stdin = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (finished || stdinClosed) return cb();
      let offset = 0;
      const next = () => {
        if (offset >= chunk.length || finished) return cb();
        const part = chunk.subarray(offset, offset + MAX_PACKET);
        offset += part.length;
        try {
          socket.write(part, 0, part.length, next);
        } catch (err) {
          cb(err as Error);
        }
      };
      next();
    },
    final(cb) {
      closeStdin();
      cb();
    },
  });

  return {
    stdout,
    stderr,
    stdin,
    closeStdin,
    resize: (h, w) => resizeTerminal(opts.ctlFifo, h, w),
    close: finish,
    closed,
  };
}
