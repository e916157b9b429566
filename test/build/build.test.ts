// Dockerfile builds through the real docker CLI (classic builder, DOCKER_BUILDKIT=0) against berthd.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { importBusybox, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { docker, dockerOk, hasDocker, makeContext, ranSteps, workDir } from './helpers.js';

describe('docker build (classic) against berthd', { skip: !hasDocker && 'docker CLI not installed' }, () => {
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

  it('builds, caches a rebuild and invalidates from a changed COPY on', async () => {
    const ctx = await makeContext(work, {
      Dockerfile: 'FROM busybox\nRUN echo one > /one\nCOPY a.txt /app/\nCOPY b.txt /app/\nRUN cat /app/a.txt /app/b.txt > /app/both\nCMD ["cat", "/app/both"]\n',
      'a.txt': 'A\n',
      'b.txt': 'B\n',
    });
    const first = await dockerOk(d, ['build', '-t', 'cache:1', ctx]);
    assert.match(first, /Step 1\/6 : FROM busybox\n ---> [0-9a-f]{12}\n/);
    assert.equal(ranSteps(first), 2);
    assert.match(first, /Successfully built [0-9a-f]{12}\nSuccessfully tagged cache:1\n/);

    const second = await dockerOk(d, ['build', '-t', 'cache:1', ctx]);
    assert.equal(ranSteps(second), 0, second);
    assert.equal((second.match(/---> Using cache/g) ?? []).length, 5);
    const id = (s: string) => /Successfully built ([0-9a-f]{12})/.exec(s)![1];
    assert.equal(id(second), id(first));

    // Same bytes, new mtime: still cached (content hashes, not mtimes).
    await writeFile(join(ctx, 'a.txt'), 'A\n');
    assert.equal(ranSteps(await dockerOk(d, ['build', ctx])), 0);

    await writeFile(join(ctx, 'b.txt'), 'B2\n');
    const third = await dockerOk(d, ['build', '-t', 'cache:2', ctx]);
    const steps = third.split(/(?=Step \d)/).slice(1);
    assert.match(steps[1]!, /Using cache/, 'RUN before the change is cached');
    assert.match(steps[2]!, /Using cache/, 'COPY a.txt is cached');
    assert.doesNotMatch(steps[3]!, /Using cache/, 'COPY b.txt runs');
    assert.match(steps[4]!, /Running in/);

    const cid = (await dockerOk(d, ['create', 'cache:2'])).trim();
    await dockerOk(d, ['start', cid]);
    assert.equal((await dockerOk(d, ['wait', cid])).trim(), '0');
    assert.equal(await dockerOk(d, ['logs', cid]), 'A\nB2\n');
    await dockerOk(d, ['rm', cid]);

    const nocache = await dockerOk(d, ['build', '--no-cache', ctx]);
    assert.equal(ranSteps(nocache), 2);
  });

  it('multi-stage with --target builds only what the target needs; COPY --from a stage and an image', async () => {
    const ctx = await makeContext(work, {
      Dockerfile: [
        'FROM busybox AS base', 'RUN echo base > /base',
        'FROM busybox AS unused', 'RUN echo never-built-marker && exit 1',
        'FROM base AS app', 'COPY --from=base /base /copied', 'COPY --from=busybox /bin/busybox /opt/bin/busybox', 'RUN cat /copied && /opt/bin/busybox true',
        'FROM app AS last', 'RUN echo last',
      ].join('\n') + '\n',
    });
    const out = await dockerOk(d, ['build', '--target', 'app', '-t', 'ms:app', ctx]);
    assert.doesNotMatch(out, /never-built-marker|echo last/);
    assert.match(out, /\nbase\n/);
    assert.match(out, /Step 1\/6 : FROM busybox AS base/);
    const ls = await dockerOk(d, ['run', '--rm', 'ms:app', 'cat', '/copied']).catch(async () => {
      const c = (await dockerOk(d, ['create', 'ms:app', 'cat', '/copied'])).trim();
      await dockerOk(d, ['start', c]);
      await dockerOk(d, ['wait', c]);
      return dockerOk(d, ['logs', c]);
    });
    assert.equal(ls, 'base\n');
  });

  it('FROM scratch: COPY the busybox binary in and run it', async () => {
    const ctx = await makeContext(work, { Dockerfile: 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "mkdir", "-p", "/made/here"]\nCMD ["/bin/busybox", "echo", "hi"]\n' });
    await writeFile(join(ctx, 'busybox'), await readFile('fixtures/out/busybox-rootfs/bin/busybox'), { mode: 0o755 });
    const out = await dockerOk(d, ['build', '-t', 'scratchy', ctx]);
    assert.match(out, /Step 1\/4 : FROM scratch/);
    const inspect = JSON.parse(await dockerOk(d, ['image', 'inspect', 'scratchy']))[0];
    assert.equal(inspect.RootFS.Layers.length, 2);
    assert.deepEqual(inspect.Config.Cmd, ['/bin/busybox', 'echo', 'hi']);
  });

  it('COPY keeps permission bits (setuid too), replaces what was there, applies --chmod and --chown, owns files 0:0 in setgid dirs', async () => {
    const ctx = await makeContext(work, {
      Dockerfile: [
        'FROM busybox',
        'RUN mkdir -p /app /shared && echo old > /app/plain && chown 0:1000 /shared && chmod 2775 /shared',
        'COPY files/ /app/',
        'COPY --chmod=600 --chown=1000:1000 files/plain /owned',
        'COPY files/plain /shared/',
        "RUN stat -c '%a %u:%g %n' /app/tool /app/script.sh /app/plain /owned /shared/plain && cat /app/plain",
        '',
      ].join('\n'),
      'files/tool': '#!/bin/sh\n', 'files/script.sh': 'echo hi\n', 'files/plain': 'new\n',
    });
    await chmod(join(ctx, 'files/tool'), 0o4755);
    await chmod(join(ctx, 'files/script.sh'), 0o750);
    await chmod(join(ctx, 'files/plain'), 0o644);
    const out = await dockerOk(d, ['build', '--no-cache', ctx]);
    assert.match(out, /^4755 0:0 \/app\/tool$/m);
    assert.match(out, /^750 0:0 \/app\/script\.sh$/m);
    assert.match(out, /^644 0:0 \/app\/plain$/m);
    assert.match(out, /^600 1000:1000 \/owned$/m);
    // A setgid directory would hand its group down: COPY without --chown still gives 0:0.
    assert.match(out, /^644 0:0 \/shared\/plain$/m);
    assert.match(out, /^new$/m);
    assert.doesNotMatch(out, /^old$/m);
  });

  it('RUN steps share a pooled bridge sandbox, released when berthd stops or after a crash', async () => {
    const ctx = await makeContext(work, { Dockerfile: 'FROM busybox\nRUN ip -o -4 addr show eth0\nRUN ip -o -4 addr show eth0\n' });
    const netns = async () => (await readdir(join(d.execRoot, 'netns')).catch(() => [] as string[])).length;
    const running = (await dockerOk(d, ['ps', '-q'])).split('\n').filter(Boolean).length;
    assert.equal(running, 0, 'no container holds a namespace');
    const before = await netns();
    const out = await dockerOk(d, ['build', '--no-cache', ctx]);
    const addrs = [...out.matchAll(/eth0 +inet ([\d.]+)\//g)].map((m) => m[1]);
    assert.equal(addrs.length, 2, out);
    assert.equal(addrs[0], addrs[1], 'the second step ran in the same sandbox');
    const gw = await dockerOk(d, ['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'bridge']);
    assert.equal(addrs[0]!.split('.').slice(0, 2).join('.'), gw.trim().split('.').slice(0, 2).join('.'), 'on the default bridge');
    assert.equal(await netns(), Math.max(before, 1), 'one sandbox waits for the next build');
    await dockerOk(d, ['build', '--no-cache', ctx]);
    assert.equal(await netns(), Math.max(before, 1), 'and the next build uses it');
    await d.kill9();
    await d.restart();
    assert.equal(await netns(), 0, 'a killed berthd\'s sandboxes are released at its next start');
  });

  it('.dockerignore with ! exceptions', async () => {
    const ctx = await makeContext(work, {
      Dockerfile: 'FROM busybox\nCOPY . /ctx/\nRUN find /ctx -type f | sort\n',
      '.dockerignore': 'logs\n*.tmp\n!keep.tmp\nsecret/**\n!secret/public.txt\n',
      'logs/a.log': 'x', 'x.tmp': 'x', 'keep.tmp': 'k', 'secret/private.txt': 'p', 'secret/public.txt': 'ok', 'src/main.c': 'int main;',
    });
    const out = await dockerOk(d, ['build', ctx]);
    assert.match(out, /\/ctx\/keep\.tmp\n/);
    assert.match(out, /\/ctx\/secret\/public\.txt\n/);
    assert.match(out, /\/ctx\/src\/main\.c\n/);
    assert.doesNotMatch(out, /a\.log|x\.tmp|private\.txt/);
  });

  it('build args and ARG scoping', async () => {
    const ctx = await makeContext(work, {
      Dockerfile: [
        'ARG BASE=busybox', 'ARG GLOBAL=g-default', 'FROM ${BASE}', 'ARG GLOBAL', 'ARG LOCAL=l-default', 'ARG UNSET',
        'RUN echo "global=$GLOBAL local=$LOCAL unset=${UNSET:-none}" > /args && cat /args',
        'ENV FROM_ARG=$LOCAL',
      ].join('\n') + '\n',
    });
    const out = await dockerOk(d, ['build', '--build-arg', 'LOCAL=given', '-t', 'args:1', ctx]);
    assert.match(out, /global=g-default local=given unset=none\n/);
    const history = await dockerOk(d, ['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'args:1']);
    assert.match(history, /\|2 GLOBAL=g-default LOCAL=given \/bin\/sh -c echo/);
    const env = JSON.parse(await dockerOk(d, ['image', 'inspect', '-f', '{{json .Config.Env}}', 'args:1']));
    assert.ok(env.includes('FROM_ARG=given'));
    assert.ok(!env.some((e: string) => e.startsWith('LOCAL=')), 'build args do not persist in the image');
    // A different value re-runs the RUN step.
    assert.equal(ranSteps(await dockerOk(d, ['build', '--build-arg', 'LOCAL=other', ctx])), 1);
    assert.equal(ranSteps(await dockerOk(d, ['build', '--build-arg', 'LOCAL=given', ctx])), 0);
  });

  it('a failing RUN fails the build with its exit code and output', async () => {
    const ctx = await makeContext(work, { Dockerfile: 'FROM busybox\nRUN echo about-to-fail && exit 3\n' });
    const r = await docker(d, ['build', ctx]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /about-to-fail/);
    assert.match(r.stderr, /The command '\/bin\/sh -c echo about-to-fail && exit 3' returned a non-zero code: 3/);
  });

  it('rejects an unknown instruction with its line number', async () => {
    const ctx = await makeContext(work, { Dockerfile: 'FROM busybox\nRUN true\nFOOBAR baz\n' });
    const r = await docker(d, ['build', ctx]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Dockerfile:3: unknown instruction: FOOBAR/);
  });

  it('heredocs: RUN <<EOF and COPY <<EOF', async () => {
    const ctx = await makeContext(work, {
      Dockerfile: 'FROM busybox\nARG WHO=heredoc\nCOPY <<EOF /greeting.txt\nhello ${WHO}\nEOF\nRUN <<EOF\necho first line\necho second line > /second\nEOF\nRUN cat /greeting.txt /second\n',
    });
    const out = await dockerOk(d, ['build', ctx]);
    assert.match(out, /first line\n/);
    assert.match(out, /hello heredoc\nsecond line\n/);
  });

  it('cache mounts persist between builds', async () => {
    const df = (n: number) => `FROM busybox\nRUN --mount=type=cache,target=/cache echo run${n} >> /cache/log && cat /cache/log && test ! -e /made-by-cache\n`;
    const ctx = await makeContext(work, { Dockerfile: df(1) });
    await dockerOk(d, ['build', ctx]);
    await writeFile(join(ctx, 'Dockerfile'), df(2));
    const out = await dockerOk(d, ['build', '-t', 'cm', ctx]);
    assert.match(out, /run1\nrun2\n/);
    const save = join(work, 'cm.tar');
    await dockerOk(d, ['save', '-o', save, 'cm']);
    assert.doesNotMatch(await tarListing(save, work), /cache\/log/);
  });

  it('a secret mount never lands in a layer or the history (API with the berth secrets channel)', async () => {
    const ctx = await makeContext(work, { Dockerfile: 'FROM busybox\nRUN --mount=type=secret,id=token cat /run/secrets/token > /dev/null && wc -c < /run/secrets/token && ls /run\n' });
    await mkdir(join(ctx, '.berth-build-secrets'));
    await writeFile(join(ctx, '.berth-build-secrets', 'token'), 'TOPSECRET-VALUE');
    const body = Readable.from([execFileSync('tar', ['-C', ctx, '-c', '.'])]);
    const res = await d.client.call('POST', '/build', { query: { t: 'sec:1', secrets: JSON.stringify(['token']) }, body });
    let text = '';
    for await (const m of d.client.messages(res)) if (m.stream) text += m.stream;
    assert.match(text, /\n15\n/);
    const history = await dockerOk(d, ['history', '--no-trunc', 'sec:1']);
    assert.doesNotMatch(history, /TOPSECRET/);
    const save = join(work, 'sec.tar');
    await dockerOk(d, ['save', '-o', save, 'sec:1']);
    const listing = await tarListing(save, work);
    assert.doesNotMatch(listing, /secrets|berth-build-secrets/);
    assert.doesNotMatch((await readFile(save)).toString('latin1'), /TOPSECRET/);
  });

  it('reproducible image IDs with SOURCE_DATE_EPOCH', async () => {
    const ctx = await makeContext(work, { Dockerfile: 'FROM busybox\nARG SOURCE_DATE_EPOCH\nRUN echo same > /f && mkdir -p /d\nCOPY x /x\nLABEL a=b\n', x: 'x' });
    const build = async () => {
      const out = await dockerOk(d, ['build', '--no-cache', '--build-arg', 'SOURCE_DATE_EPOCH=1700000000', ctx]);
      return /Successfully built ([0-9a-f]{12})/.exec(out)![1];
    };
    const a = await build();
    await writeFile(join(ctx, 'x'), 'x');
    const b = await build();
    assert.equal(a, b);
    const created = (await dockerOk(d, ['image', 'inspect', '-f', '{{.Created}}', a!])).trim();
    assert.match(created, /^2023-11-14T22:13:20/);
  });

  it('--label, ONBUILD triggers and config instructions', async () => {
    const parent = await makeContext(work, { Dockerfile: 'FROM busybox\nONBUILD RUN echo triggered > /tmp/trigger\nUSER 1000\nEXPOSE 8080\n' });
    await dockerOk(d, ['build', '-t', 'onbuild-parent', parent]);
    const child = await makeContext(work, { Dockerfile: 'FROM onbuild-parent\nRUN cat /tmp/trigger\n' });
    const out = await dockerOk(d, ['build', '--label', 'team=build', '-t', 'onbuild-child', child]);
    assert.match(out, /# Executing 1 build trigger\n/);
    assert.match(out, /triggered\n/);
    const cfg = JSON.parse(await dockerOk(d, ['image', 'inspect', '-f', '{{json .Config}}', 'onbuild-child']));
    assert.equal(cfg.Labels.team, 'build');
    assert.equal(cfg.User, '1000');
    assert.ok(!cfg.OnBuild || cfg.OnBuild.length === 0);
    assert.deepEqual(Object.keys(cfg.ExposedPorts), ['8080/tcp']);
  });
});

async function tarListing(file: string, work: string): Promise<string> {
  const dir = join(work, `x-${Date.now()}`);
  await mkdir(dir);
  execFileSync('tar', ['-C', dir, '-xf', file]);
  let listing = execFileSync('tar', ['-tvf', file]).toString();
  for (const layer of execFileSync('find', [dir, '-name', '*.tar', '-o', '-path', '*/blobs/sha256/*', '-type', 'f']).toString().split('\n').filter(Boolean)) {
    try {
      listing += execFileSync('tar', ['-tf', layer], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    } catch {
      // not a tar (config, manifest)
    }
  }
  await rm(dir, { recursive: true, force: true });
  return listing;
}
