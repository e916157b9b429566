/** gzip, zstd and plain blobs of one layer unpack to the same tree and the same diff ID. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { detectCompression } from '../../src/store/layers/decompress.js';
import { unpackLayer } from '../../src/store/layers/unpack.js';
import { sha256 } from '../../src/util/digest.js';
import { SystemError } from '../../src/util/errors.js';
import { Scratch, describeTree, makeTar, streamOf } from './helpers.js';

const scratch = new Scratch();
after(() => scratch.cleanup());

describe('layer compression', async () => {
  const plain = await makeTar([
    { name: 'a/', type: 'directory' },
    { name: 'a/file', content: 'hello '.repeat(10_000) },
    { name: 'a/link', type: 'symlink', linkname: 'file' },
  ]);
  const blobs = {
    none: plain,
    gzip: gzipSync(plain),
    zstd: execFileSync('zstd', ['-c', '-q'], { input: plain }),
  };

  it('detects the format from magic bytes', () => {
    for (const [format, blob] of Object.entries(blobs)) assert.equal(detectCompression(blob), format);
  });

  it('gives the same diff ID and tree for every format', async () => {
    const trees: string[][] = [];
    for (const [format, blob] of Object.entries(blobs)) {
      const target = await scratch.dir();
      const r = await unpackLayer(streamOf(blob), { target, mode: 'plain' });
      assert.equal(r.compression, format);
      assert.equal(r.diffId, sha256(plain), format);
      assert.equal(r.compressedDigest, sha256(blob), format);
      assert.equal(r.size, plain.length, format);
      trees.push(await describeTree(target));
    }
    assert.ok(trees[0]!.length === 3);
    assert.deepEqual(trees[1], trees[0]);
    assert.deepEqual(trees[2], trees[0]);
  });

  it('hashes the whole stream, trailing padding included', async () => {
    const padded = Buffer.concat([plain, Buffer.alloc(10_240)]);
    const r = await unpackLayer(streamOf(padded), { target: await scratch.dir(), mode: 'plain' });
    assert.equal(r.diffId, sha256(padded));
  });

  it('fails clearly on a corrupt gzip stream', async () => {
    const corrupt = Buffer.from(blobs.gzip);
    corrupt.fill(0x55, 20, 60);
    await assert.rejects(unpackLayer(streamOf(corrupt), { target: await scratch.dir(), mode: 'plain' }), /cannot apply layer/);
  });

  it('fails clearly on a corrupt zstd stream', async () => {
    const corrupt = Buffer.from(blobs.zstd);
    corrupt.fill(0x55, 10, 40);
    await assert.rejects(unpackLayer(streamOf(corrupt), { target: await scratch.dir(), mode: 'plain' }), /zstd/);
  });

  it('says so when zstd is not installed', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await assert.rejects(unpackLayer(streamOf(blobs.zstd), { target: await scratch.dir(), mode: 'plain' }), (err: unknown) => {
        assert.ok(err instanceof SystemError);
        assert.match(err.message, /zstd binary is not installed/);
        return true;
      });
    } finally {
      process.env.PATH = path;
    }
  });
});
