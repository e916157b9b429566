/**
 * The runtime run from a sealed copy (src/runtime/sealed-binary.ts): crun takes the copy as
 * its own CVE-2019-5736 clone and does not clone itself again; nobody can write to the copy;
 * a binary changed on disk is copied again.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { findBinary } from '../../src/sys/spawn.js';
import { SealedBinary } from '../../src/runtime/sealed-binary.js';

const exec = promisify(execFile);

/** The calls by which running `file --version` could clone the binary (its children's too). */
async function cloningCalls(dir: string, file: string): Promise<{ execs: string[]; copies: string[] }> {
  const out = join(dir, `trace-${Date.now()}`);
  await exec('strace', ['-f', '-qq', '-e', 'trace=execve,execveat,memfd_create,mount', '-o', out, file, '--version']);
  const lines = (await readFile(out, 'utf8')).split('\n');
  return { execs: lines.filter((l) => /execve(at)?\(/.test(l)), copies: lines.filter((l) => /memfd_create\(|mount\(/.test(l)) };
}

describe('the OCI runtime run from a sealed copy', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-sealed-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is taken by crun as its own clone: one exec, no clone of its own', async (t) => {
    const crun = findBinary('crun');
    if (!crun) return t.skip('crun is not installed');
    // From disk, crun clones itself (a read-only bind mount of its binary, else a memfd) and
    // executes the clone: the guard the sealed copy stands in for.
    const fromDisk = await cloningCalls(dir, crun);
    assert.equal(fromDisk.execs.length, 2, fromDisk.execs.join('\n'));
    assert.notDeepEqual(fromDisk.copies, []);

    const sealed = await SealedBinary.open(crun);
    assert.ok(sealed, 'a sealed copy runs here');
    assert.match(sealed.execPath, new RegExp(`^/proc/${process.pid}/fd/\\d+$`));
    const fromCopy = await cloningCalls(dir, sealed.execPath);
    assert.equal(fromCopy.execs.length, 1, fromCopy.execs.join('\n'));
    assert.deepEqual(fromCopy.copies, []);
    const { stdout } = await exec(sealed.execPath, ['--version']);
    assert.match(stdout, /^crun version /);
  });

  it('cannot be written to', async () => {
    const bin = join(dir, 'writable');
    await copyFile('/bin/true', bin);
    const sealed = await SealedBinary.open(bin);
    assert.ok(sealed);
    await assert.rejects(writeFile(sealed.execPath, 'overwritten'), { code: 'EPERM' });
    await assert.rejects(writeFile(sealed.execPath, 'appended', { flag: 'a' }), { code: 'EPERM' });
    await exec(sealed.execPath, ['--version']);
  });

  it('is made again when the binary on disk changes, and the old copy still runs meanwhile', async () => {
    const bin = join(dir, 'upgraded');
    await copyFile('/bin/true', bin);
    const sealed = await SealedBinary.open(bin);
    assert.ok(sealed);
    const first = sealed.execPath;
    assert.equal(sealed.execPath, first, 'unchanged: the same copy');
    await rm(bin);
    assert.equal(sealed.execPath, first, 'gone from disk: the copy still runs');
    await copyFile('/bin/false', bin);
    const second = sealed.execPath;
    assert.notEqual(second, first);
    await assert.rejects(exec(second, []), { code: 1 });
    await exec(first, []);
  });

  it('is not made of what cannot run', async () => {
    const bin = join(dir, 'not-a-program');
    await writeFile(bin, 'not an executable', { mode: 0o755 });
    assert.equal(await SealedBinary.open(bin), undefined);
  });
});
