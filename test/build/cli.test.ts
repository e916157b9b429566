// `berth build`: context tar with .dockerignore, -f, build args, --secret, --iidfile, exit codes.
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../cli/helpers.js';
import { importBusybox, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { dockerOk, hasDocker, makeContext, workDir } from './helpers.js';

const berthBuild = (d: TestDaemon, args: string[]) =>
  runCli(['build', ...args], { host: d.host });

describe('berth build', () => {
  let d: TestDaemon;
  let work: string;
  before(async () => {
    d = await startTestDaemon();
    await importBusybox(d.client);
    work = await workDir();
  });
  after(async () => {
    await d?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('builds with -f, --build-arg, --secret and --iidfile; ignored files stay home', async () => {
    const ctx = await makeContext(work, {
      'build/app.Dockerfile': 'FROM busybox\nARG GREETING\nCOPY . /src/\nRUN --mount=type=secret,id=tok,required=true test "$(cat /run/secrets/tok)" = s3cr3t && echo "$GREETING" && ls /src | sort | tr "\\n" " "\n',
      '.dockerignore': 'ignored.txt\n',
      'ignored.txt': 'no', 'kept.txt': 'yes',
    });
    const secret = join(work, 'tok.txt');
    await writeFile(secret, 's3cr3t');
    const iid = join(work, 'iid');
    const r = await berthBuild(d, ['-f', join(ctx, 'build/app.Dockerfile'), '--build-arg', 'GREETING=hey', '--secret', `id=tok,src=${secret}`, '--iidfile', iid, '-t', 'clibuild', ctx]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /hey\n/);
    assert.match(r.stdout, /build kept\.txt /);
    assert.match(await readFile(iid, 'utf8'), /^sha256:[0-9a-f]{64}$/);
  });

  it('fails with the RUN exit code', async () => {
    const ctx = await makeContext(work, { Dockerfile: 'FROM busybox\nRUN exit 7\n' });
    const r = await berthBuild(d, [ctx]);
    assert.equal(r.code, 7);
    assert.match(r.stderr, /returned a non-zero code: 7/);
  });

  it('-q prints only the image ID', async () => {
    const ctx = await makeContext(work, { Dockerfile: 'FROM busybox\nRUN echo quiet-output\n' });
    const r = await berthBuild(d, ['-q', ctx]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
  });

  it('POST /build/prune forgets the cache and empties cache mounts', { skip: !hasDocker && 'docker CLI not installed' }, async () => {
    const ctx = await makeContext(work, { Dockerfile: 'FROM busybox\nRUN --mount=type=cache,target=/c echo x >> /c/f\n' });
    await dockerOk(d, ['build', ctx]);
    const res = await d.client.json<{ CachesDeleted: string[]; SpaceReclaimed: number }>('POST', '/build/prune');
    assert.ok(res.CachesDeleted.length > 0);
    assert.ok(res.SpaceReclaimed > 0);
    const again = await dockerOk(d, ['build', ctx]);
    assert.doesNotMatch(again, /Using cache/);
  });
});
