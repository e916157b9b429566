import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tarPack } from './tar-pack.js';

describe('tarPack', () => {
  it('an abandoned pack fails its entries through their callbacks and raises no unheard error', async () => {
    const pack = tarPack();
    const failures: string[] = [];
    // One entry being written (fed by nobody yet) and one from a buffer waiting behind it.
    const entries = [
      pack.entry({ name: 'blob', size: 10 }, (err) => failures.push(`blob: ${err?.message}`)),
      pack.entry({ name: 'index.json' }, Buffer.from('{}'), (err) => failures.push(`index: ${err?.message}`)),
    ];
    pack.on('error', () => undefined); // the reader's side: the pipeline that hears the pack
    pack.destroy(new Error('the reader went away'));
    // An unheard 'error' would come before 'close', and fail this test as an uncaught exception.
    await Promise.all(entries.map((e) => new Promise<void>((r) => e.once('close', () => r()))));
    assert.deepEqual(failures.sort(), ['blob: the reader went away', 'index: the reader went away']);
  });

  it('packs as tar-stream does', async () => {
    const pack = tarPack();
    pack.entry({ name: 'a.txt' }, Buffer.from('hello'));
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    const tar = Buffer.concat(chunks);
    assert.equal(tar.subarray(0, 5).toString(), 'a.txt');
    assert.equal(tar.subarray(512, 517).toString(), 'hello');
  });
});
