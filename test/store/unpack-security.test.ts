/** Malicious layers are refused as a whole and write nothing outside the target. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { unpackLayer, type ApplyMode } from '../../src/store/layers/unpack.js';
import { InvalidParameterError } from '../../src/util/errors.js';
import { makeTar, streamOf, type TarEntry } from './helpers.js';

// Every target is a sibling of `outside` inside `base`, so an escape lands where we look.
const base = mkdtempSync(join(tmpdir(), 'berth-unpack-security-'));
const outside = join(base, 'outside');
mkdirSync(outside);
after(() => rmSync(base, { recursive: true, force: true }));
let targets = 0;
async function newTarget(): Promise<string> {
  const t = join(base, `root${++targets}`);
  await mkdir(t);
  return t;
}

async function assertNothingOutside(): Promise<void> {
  assert.deepEqual(await readdir(outside), ['keep'], 'nothing may be written outside the target');
  const strays = (await readdir(base)).filter((n) => n !== 'outside' && !/^root\d+$/.test(n));
  assert.deepEqual(strays, [], 'nothing may appear next to the target');
}

function cases(): Array<{ name: string; entries: TarEntry[] }> {
  return [
    { name: '../evil', entries: [{ name: '../evil', content: 'x' }] },
    { name: 'absolute path', entries: [{ name: join(outside, 'abs'), content: 'x' }] },
    { name: 'a/../../evil', entries: [{ name: 'a/', type: 'directory' }, { name: 'a/../../evil', content: 'x' }] },
    {
      name: 'write through an absolute symlink',
      entries: [{ name: 'link', type: 'symlink', linkname: outside }, { name: 'link/file', content: 'x' }],
    },
    {
      name: 'write through a symlink to ..',
      entries: [{ name: 'up', type: 'symlink', linkname: '..' }, { name: 'up/outside/file', content: 'x' }],
    },
    {
      name: 'directory through a symlink',
      entries: [{ name: 'link', type: 'symlink', linkname: outside }, { name: 'link/sub/', type: 'directory' }],
    },
    {
      name: 'whiteout through a symlink',
      entries: [{ name: 'link', type: 'symlink', linkname: outside }, { name: 'link/.wh.keep', content: '' }],
    },
    { name: 'hard link to /etc/passwd', entries: [{ name: 'pw', type: 'link', linkname: '/etc/passwd' }] },
    { name: 'hard link to ../x', entries: [{ name: 'x', type: 'link', linkname: '../outside/keep' }] },
    {
      name: 'hard link through a symlink',
      entries: [{ name: 'link', type: 'symlink', linkname: outside }, { name: 'h', type: 'link', linkname: 'link/keep' }],
    },
    { name: 'whiteout of ..', entries: [{ name: 'a/', type: 'directory' }, { name: 'a/.wh...', content: '' }] },
  ];
}

for (const mode of ['overlay', 'plain'] as ApplyMode[]) {
  describe(`malicious layers are refused (${mode})`, () => {
    for (const c of cases()) {
      it(c.name, async () => {
        const target = await newTarget();
        // A file outside that a hard link or whiteout might try to reach.
        await writeFile(join(outside, 'keep'), 'secret');
        const layer = await makeTar(c.entries);
        await assert.rejects(unpackLayer(streamOf(layer), { target, mode }), (err: unknown) => {
          assert.ok(err instanceof InvalidParameterError, `expected InvalidParameterError, got ${String(err)}`);
          return true;
        });
        await assertNothingOutside();
      });
    }
  });
}

it('names the offending entry in the error', async () => {
  const target = await newTarget();
  const layer = await makeTar([{ name: 'link', type: 'symlink', linkname: outside }, { name: 'link/file', content: 'x' }]);
  await assert.rejects(unpackLayer(streamOf(layer), { target, mode: 'overlay' }), /layer entry "link\/file" would be written through the symlink "link"/);
});

it('stores symlinks that point anywhere', async () => {
  const target = await newTarget();
  const layer = await makeTar([
    { name: 'abs', type: 'symlink', linkname: '/etc/passwd' },
    { name: 'up', type: 'symlink', linkname: '../../..' },
  ]);
  await unpackLayer(streamOf(layer), { target, mode: 'overlay' });
  assert.deepEqual((await readdir(target)).sort(), ['abs', 'up']);
});
