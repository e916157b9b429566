// A Debian build that installs a package: a debootstrap base image (made once, about 40 s;
// BERTH_TEST_DEBIAN=0 skips it) and RUN reaching the host's Debian mirror through the default
// bridge's NAT, as in Docker's classic builder.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../helpers/paths.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { dockerOk, hasDocker, makeContext, workDir } from './helpers.js';

const skip = !hasDocker ? 'docker CLI not installed'
  : process.env.BERTH_TEST_DEBIAN === '0' ? 'BERTH_TEST_DEBIAN=0'
  : false;

describe('FROM debian-base + apt-get install', { skip }, () => {
  let d: TestDaemon;
  let work: string;
  before(async () => {
    execFileSync('bash', [join(repoRoot, 'scripts', 'make-debian-base.sh')], { stdio: 'inherit' });
    d = await startTestDaemon();
    work = await workDir();
    const res = await d.client.call('POST', '/images/create', { query: { fromSrc: '-', repo: 'debian-base', tag: 'latest' }, body: createReadStream(join(repoRoot, 'fixtures/out/debian-rootfs.tar')) });
    for await (const m of d.client.messages(res)) void m;
  });
  after(async () => {
    await d?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('installs a package with apt-get', async () => {
    const ctx = await makeContext(work, {
      Dockerfile: 'FROM debian-base\nRUN apt-get update && apt-get install -y --no-install-recommends jq && rm -rf /var/lib/apt/lists/*\nRUN echo \'{"a": 42}\' | jq .a\n',
    });
    const out = await dockerOk(d, ['build', '-t', 'deb-jq', ctx]);
    assert.match(out, /\n42\n/);
    assert.ok(existsSync(join(repoRoot, 'fixtures/out/debian-rootfs.tar')));
  });
});
