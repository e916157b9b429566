import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SeqpacketServer } from 'node-unix-socket';
import { attach } from './attach.js';

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;

/**
 * A listening SOCK_SEQPACKET socket that never accepts, as conmon's attach socket is when the
 * exec'd process ends before conmon's loop took the connection. The addon's server accepts by
 * itself, so this one is made with the system calls.
 */
function listenWithoutAccepting(path: string): () => void {
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  const socket = lib.func('int socket(int domain, int type, int protocol)');
  const bind = lib.func('int bind(int fd, const void *addr, int len)');
  const listen = lib.func('int listen(int fd, int backlog)');
  const close = lib.func('int close(int fd)');
  const fd = socket(AF_UNIX, SOCK_SEQPACKET, 0) as number;
  const addr = Buffer.alloc(110);
  addr.writeUInt16LE(AF_UNIX, 0);
  addr.write(path, 2);
  assert.equal(bind(fd, addr, addr.length), 0);
  assert.equal(listen(fd, 8), 0);
  let open = true;
  return () => {
    if (open) close(fd); // once only: a second close could hit a reused fd
    open = false;
  };
}

/** How many sockets this process holds open. */
function socketCount(): number {
  const target = (fd: string) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return ''; // the listing's own fd, closed by now
    }
  };
  return readdirSync('/proc/self/fd').filter((fd) => target(fd).startsWith('socket:')).length;
}

describe('attach', () => {
  it('ends the output when conmon hangs up, and lets go of the socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attach-'));
    const server = new SeqpacketServer();
    try {
      server.listen(join(dir, 'attach'));
      server.on('connection', (peer) => {
        peer.write(Buffer.from([2, ...Buffer.from('out')]));
        peer.write(Buffer.from([3, ...Buffer.from('err')]));
        setTimeout(() => peer.destroy(), 20);
      });
      const before = socketCount();
      const io = await attach({ socketPath: join(dir, 'attach'), ctlFifo: join(dir, 'ctl') });
      let out = '';
      let err = '';
      io.stdout.on('data', (d: Buffer) => (out += d.toString()));
      io.stderr.on('data', (d: Buffer) => (err += d.toString()));
      await io.closed;
      assert.deepEqual([out, err], ['out', 'err']);
      assert.equal(socketCount(), before, 'the attach socket is closed once conmon hung up');
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a connection conmon never took ends the output; it raises no error a reader must catch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attach-'));
    const path = join(dir, 'attach');
    const stopListening = listenWithoutAccepting(path);
    try {
      const io = await attach({ socketPath: path, ctlFifo: join(dir, 'ctl') });
      // Only 'data' listeners, as a health probe has: an 'error' here would be uncaught.
      io.stdout.on('data', () => undefined);
      io.stderr.on('data', () => undefined);
      stopListening();
      await io.closed;
      assert.equal(io.stdout.errored, null);
      assert.equal(io.stdout.writableEnded, true);
    } finally {
      stopListening();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
