/**
 * Starting a created container without a `runc start` or `crun start` process.
 *
 * runc:
 * After `runc create`, the container's init (`runc init`) waits in open(2) on
 * `<runc root>/<id>/exec.fifo` for writing. `runc start` opens that fifo for reading, reads
 * the byte init writes just before it execs the container's process, and removes the
 * fifo: the fifo's presence is how runc tells `created` from `running`. Doing those three
 * steps here saves one runc process (~9 ms here) on every container start.
 *
 * The blocking open waits in libuv's thread pool. If init dies first, nobody would ever
 * open the other end, so a watchdog checks init's pid as runc does and, once it is gone,
 * opens the write end itself to release the reader.
 *
 * crun turns the fifo around: init holds the read end (opened at create) and waits for a
 * byte; `crun start` opens the write end, removes the fifo and writes that byte. A write
 * open that finds no reader (ENXIO), or a write that does (EPIPE), means init is gone.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { SystemError } from '../util/errors.js';

const WATCHDOG_INTERVAL_MS = 100;

export function execFifoPath(runtimeRoot: string, id: string): string {
  return `${runtimeRoot}/${id}/exec.fifo`;
}

/** Whether the process has exited: a zombie, or reaped already. */
export async function isGone(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the command name, which is in parentheses and may hold spaces.
    return stat[stat.lastIndexOf(')') + 2] === 'Z';
  } catch {
    return true;
  }
}

/** Lets a runc container's process run; `initPid` is the pid `runc create` reported. */
export async function startThroughExecFifo(fifo: string, initPid: number): Promise<void> {
  let initDied = false;
  const watchdog = setInterval(() => {
    void isGone(initPid).then((gone) => {
      if (!gone || initDied) return;
      initDied = true;
      try {
        // The blocked reader counts as a reader, so a non-blocking open for writing succeeds.
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // The reader got its writer after all.
      }
    });
  }, WATCHDOG_INTERVAL_MS);
  let data: Buffer;
  try {
    const fh = await open(fifo, constants.O_RDONLY);
    try {
      data = await fh.readFile();
    } finally {
      await fh.close();
    }
  } finally {
    clearInterval(watchdog);
  }
  if (data.length === 0) throw new SystemError(initDied ? 'container process is already dead' : 'cannot start an already running container');
  await rm(fifo, { force: true });
}

/** Lets a crun container's process run. */
export async function startThroughCrunExecFifo(fifo: string): Promise<void> {
  let fh;
  try {
    fh = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENXIO') throw new SystemError('container process is already dead');
    throw err;
  }
  try {
    await rm(fifo);
    await fh.write(Buffer.from([0]));
  } catch (err) {
    // The reader went away between the open and the write.
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') throw new SystemError('container process is already dead');
    throw err;
  } finally {
    await fh.close();
  }
}
