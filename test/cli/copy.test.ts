// `berth cp`'s local half: docker's copy rules and a tar extractor that never writes outside
// its destination, whatever the archive says.
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import tar from 'tar-stream';
import { extractTar, linkStaysInside, packTar, prepareArchiveCopy, rebaseName, safeEntryName, splitCopyArg, splitDirEntry } from '../../src/cli/containers/copy.js';

type Entry = Partial<tar.Header> & { name: string; body?: string };

function tarOf(entries: Entry[]): Readable {
  const pack = tar.pack();
  for (const { body, ...h } of entries) pack.entry(h, body ?? '');
  pack.finalize();
  return pack as unknown as Readable;
}

describe('cp: path rules', () => {
  it('splits CONTAINER:PATH unless the argument is a local path', () => {
    assert.deepEqual(splitCopyArg('c:/etc'), { container: 'c', path: '/etc' });
    assert.deepEqual(splitCopyArg('./a:b'), { path: './a:b' });
    assert.deepEqual(splitCopyArg('/x:y'), { path: '/x:y' });
    assert.deepEqual(splitCopyArg('-'), { path: '-' });
  });

  it('follows docker PrepareArchiveCopy', () => {
    assert.deepEqual(splitDirEntry('/a/b/'), ['/a', 'b']);
    assert.deepEqual(splitDirEntry('/a/b/.'), ['/a/b', '.']);
    const file = { path: '/etc/passwd', exists: true, isDir: false };
    const dir = { path: '/etc', exists: true, isDir: true };
    assert.deepEqual(prepareArchiveCopy(file, { path: '/out', exists: true, isDir: true }), { dir: '/out', rename: undefined });
    assert.deepEqual(prepareArchiveCopy(file, { path: '/out/pw', exists: false, isDir: false }), { dir: '/out', rename: { from: 'passwd', to: 'pw' } });
    assert.deepEqual(prepareArchiveCopy(file, { path: '/out/pw', exists: true, isDir: false }), { dir: '/out', rename: { from: 'passwd', to: 'pw' } });
    assert.deepEqual(prepareArchiveCopy(dir, { path: '/out/copy', exists: false, isDir: false }), { dir: '/out', rename: { from: 'etc', to: 'copy' } });
    assert.deepEqual(prepareArchiveCopy({ path: '/etc/.', exists: true, isDir: true }, { path: '/out/copy', exists: false, isDir: false }), { dir: '/out', rename: { from: '.', to: 'copy' } });
    assert.throws(() => prepareArchiveCopy(dir, { path: '/out/f', exists: true, isDir: false }), /cannot copy a directory to a file/);
    assert.throws(() => prepareArchiveCopy(file, { path: '/out/new/', exists: false, isDir: false }), /does not exist/);
    // -L: entries named after the target are renamed to the link's name first.
    assert.deepEqual(prepareArchiveCopy({ path: '/bin/busybox', exists: true, isDir: false, rebaseName: 'sh' }, { path: '/out', exists: true, isDir: true }), { dir: '/out', rename: { from: 'busybox', to: 'sh' } });
    assert.equal(rebaseName('./x/y', { from: '.', to: 'copy' }), 'copy/x/y');
    assert.equal(rebaseName('etcetera', { from: 'etc', to: 'copy' }), 'etcetera');
  });

  it('refuses names and links that leave the destination', () => {
    assert.throws(() => safeEntryName('/etc/passwd'), /absolute/);
    assert.throws(() => safeEntryName('a/../../b'), /escapes/);
    assert.equal(safeEntryName('./a//b/'), 'a/b');
    assert.equal(linkStaysInside('a/b', '../c', false), true);
    assert.equal(linkStaysInside('a/b', '../../c', false), false);
    assert.equal(linkStaysInside('a', '/etc/passwd', true), false);
  });
});

describe('cp: extracting on the host', () => {
  let root: string;
  before(async () => (root = await mkdtemp(join(tmpdir(), 'berth-cp-'))));
  after(async () => rm(root, { recursive: true, force: true }));

  const fresh = async (name: string) => {
    const dir = join(root, name);
    await mkdir(join(dir, 'dest'), { recursive: true });
    return dir;
  };

  it('extracts files, directories, symlinks, hard links and modes, renaming the top entry', async () => {
    const dir = await fresh('ok');
    const bytes = await extractTar(
      tarOf([
        { name: 'etc/', type: 'directory', mode: 0o755 },
        { name: 'etc/passwd', type: 'file', mode: 0o640, body: 'root\n' },
        { name: 'etc/mtab', type: 'symlink', linkname: '/proc/mounts' },
        { name: 'etc/pw2', type: 'link', linkname: 'etc/passwd' },
      ]),
      join(dir, 'dest'),
      { rename: { from: 'etc', to: 'copy' }, keepOwner: false },
    );
    assert.equal(bytes, 5);
    assert.deepEqual((await readdir(join(dir, 'dest', 'copy'))).sort(), ['mtab', 'passwd', 'pw2']);
    assert.equal((await lstat(join(dir, 'dest', 'copy', 'passwd'))).mode & 0o777, 0o640);
    assert.equal(await readlink(join(dir, 'dest', 'copy', 'mtab')), '/proc/mounts');
    assert.equal(await readFile(join(dir, 'dest', 'copy', 'pw2'), 'utf8'), 'root\n');
  });

  const hostile: Array<[string, Entry[], RegExp]> = [
    ['a .. name', [{ name: '../evil', type: 'file', body: 'x' }], /escapes/],
    ['an absolute name', [{ name: '/tmp/evil', type: 'file', body: 'x' }], /absolute/],
    ['a hard link to a host file', [{ name: 'pw', type: 'link', linkname: '../../../../etc/passwd' }], /escapes|outside/],
    ['a write through a symlink it made', [{ name: 'ln', type: 'symlink', linkname: '..' }, { name: 'ln/evil', type: 'file', body: 'x' }], /through the symlink/],
    ['a write through an absolute symlink', [{ name: 'ln', type: 'symlink', linkname: '/tmp' }, { name: 'ln/evil', type: 'file', body: 'x' }], /through the symlink/],
  ];
  for (const [what, entries, error] of hostile) {
    it(`refuses ${what} and writes nothing outside`, async () => {
      const dir = await fresh(what.replace(/\W+/g, '-'));
      await assert.rejects(extractTar(tarOf(entries), join(dir, 'dest'), { keepOwner: false }), error);
      assert.deepEqual((await readdir(dir)).sort(), ['dest']);
    });
  }

  it('refuses entries outside the renamed top name (a server cannot add siblings)', async () => {
    const dir = await fresh('sibling');
    await assert.rejects(extractTar(tarOf([{ name: 'passwd', type: 'file', body: 'x' }, { name: 'other', type: 'file', body: 'y' }]), join(dir, 'dest'), { rename: { from: 'passwd', to: 'pw' }, keepOwner: false }), /not under pw/);
  });

  it('replaces an existing symlink instead of writing through it', async () => {
    const dir = await fresh('replace');
    await writeFile(join(dir, 'outside'), 'keep');
    await symlink(join(dir, 'outside'), join(dir, 'dest', 'f'));
    await extractTar(tarOf([{ name: 'f', type: 'file', body: 'new' }]), join(dir, 'dest'), { keepOwner: false });
    assert.equal(await readFile(join(dir, 'outside'), 'utf8'), 'keep');
    assert.equal(await readFile(join(dir, 'dest', 'f'), 'utf8'), 'new');
  });

  it('packs a directory with its basename (or renamed) and round-trips', async () => {
    const dir = await fresh('pack');
    await mkdir(join(dir, 'src', 'sub'), { recursive: true });
    await writeFile(join(dir, 'src', 'sub', 'a'), 'aaa');
    await symlink('sub/a', join(dir, 'src', 'l'));
    const packed = packTar(join(dir, 'src'), { rename: { from: 'src', to: 'renamed' }, keepOwner: false });
    const bytes = await extractTar(packed.stream, join(dir, 'dest'), { keepOwner: false });
    assert.equal(await packed.done, 3);
    assert.equal(bytes, 3);
    assert.equal(await readFile(join(dir, 'dest', 'renamed', 'sub', 'a'), 'utf8'), 'aaa');
    assert.equal(await readlink(join(dir, 'dest', 'renamed', 'l')), 'sub/a');
  });
});
