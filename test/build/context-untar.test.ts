/** The build context extraction: file digests taken on the way, matching COPY's cache keys. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { contentHash } from '../../src/engine/build/context/dockerignore.js';
import { extractContext } from '../../src/engine/build/context/untar.js';
import { makeTar, streamOf } from '../store/helpers.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

test('extraction reports the digest of every file, and COPY keys computed from them match reading the files', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-untar-'));
  try {
    const input = streamOf(
      await makeTar([
        { name: 'app', type: 'directory' },
        { name: 'app/a.txt', content: 'alpha\n' },
        { name: 'app/sub/b.txt', content: 'beta\n', mode: 0o600 },
        { name: 'app/hard', type: 'link', linkname: 'app/a.txt' },
        { name: 'app/link', type: 'symlink', linkname: 'a.txt' },
        { name: 'app/replaced', content: 'first' },
        { name: 'app/replaced', type: 'symlink', linkname: 'a.txt' },
      ]),
    );
    const hashes = await extractContext(input, dir);
    assert.deepEqual(Object.fromEntries([...hashes].sort()), {
      'app/a.txt': sha('alpha\n'),
      'app/hard': sha('alpha\n'),
      'app/sub/b.txt': sha('beta\n'),
    });
    assert.equal(await readFile(path.join(dir, 'app/sub/b.txt'), 'utf8'), 'beta\n');
    const fromFiles = await contentHash({ root: dir, target: 'app' });
    assert.equal(await contentHash({ root: dir, target: 'app', fileHashes: hashes }), fromFiles);
    assert.equal(await contentHash({ root: dir, target: 'app/a.txt', fileHashes: hashes }), await contentHash({ root: dir, target: 'app/a.txt' }));
    // The map is what counts when it is given (so it must be the extraction's own).
    const wrong = new Map(hashes).set('app/a.txt', sha('other'));
    assert.notEqual(await contentHash({ root: dir, target: 'app', fileHashes: wrong }), fromFiles);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
