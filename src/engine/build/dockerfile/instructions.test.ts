import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerfileParseError } from './errors.js';
import { envFromList } from './expand.js';
import { createExpander, expandInstruction, parseInstructions, type Instruction } from './instructions.js';
import { parseMount, withMountDefaults } from './mounts.js';

const one = (line: string): Instruction => parseInstructions(`FROM base\n${line}\n`).instructions[1]!;
const fails = (line: string, re: RegExp): void => {
  assert.throws(() => parseInstructions(`FROM base\n${line}\n`), (e: unknown) => e instanceof DockerfileParseError && e.line === 2 && re.test(e.message));
};

test('FROM with platform and stage name', () => {
  const { instructions } = parseInstructions('FROM --platform=linux/arm64 golang:1.22 AS Build\n');
  assert.deepEqual(instructions[0], {
    kind: 'FROM', line: 1, endLine: 1, original: 'FROM --platform=linux/arm64 golang:1.22 AS Build',
    image: 'golang:1.22', stageName: 'build', platform: 'linux/arm64',
  });
  assert.throws(() => parseInstructions('FROM a AS 1bad\n'), /invalid name for build stage: "1bad"/);
  assert.throws(() => parseInstructions('FROM a b\n'), /FROM requires either one or three arguments/);
  assert.throws(() => parseInstructions('FROM --plattform=x a\n'), /unknown flag: --plattform \(did you mean platform\?\)/);
});

test('RUN shell and exec forms, network, security, mounts', () => {
  const run = one('RUN --network=none --security=insecure --mount=type=cache,target=/root/.cache,id=gomod,sharing=locked,uid=1000,mode=0755 go build');
  assert.equal(run.kind, 'RUN');
  if (run.kind !== 'RUN') return;
  assert.deepEqual(run.command, { args: ['go build'], prependShell: true });
  assert.equal(run.network, 'none');
  assert.equal(run.security, 'insecure');
  assert.deepEqual(run.mounts, [{ type: 'cache', readOnly: false, required: false, target: '/root/.cache', id: 'gomod', sharing: 'locked', uid: 1000, mode: 0o755 }]);
  const exec = one('RUN ["/bin/sh", "-c", "echo hi"]');
  assert.deepEqual(exec.kind === 'RUN' && exec.command, { args: ['/bin/sh', '-c', 'echo hi'], prependShell: false });
  const plain = one('RUN make');
  assert.ok(plain.kind === 'RUN' && plain.network === 'default' && plain.security === 'sandbox' && plain.mounts.length === 0);
  fails('RUN --network=bridge x', /invalid network mode "bridge"/);
  fails('RUN --security=root x', /security "root" is not valid/);
  fails('RUN --mount=type=cach,target=/x x', /unsupported mount type "cach" \(did you mean cache\?\)/);
  fails('RUN --network=none --network=host x', /duplicate flag specified: --network/);
  fails('RUN --network x', /missing a value on flag: --network/);
});

test('RUN heredoc files', () => {
  const { instructions } = parseInstructions('FROM a\nRUN <<EOF bash\nset -e\necho hi\nEOF\n');
  const run = instructions[1]!;
  assert.ok(run.kind === 'RUN');
  if (run.kind !== 'RUN') return;
  assert.deepEqual(run.command.args, ['<<EOF bash']);
  assert.deepEqual(run.files, [{ name: 'EOF', data: 'set -e\necho hi\n', expand: true, chomp: false }]);
  assert.deepEqual([run.line, run.endLine], [2, 5]);
});

test('mount parsing rules', () => {
  assert.deepEqual(parseMount('type=bind,from=build,source=/out,target=/in'), { type: 'bind', readOnly: true, required: false, from: 'build', source: '/out', target: '/in' });
  assert.equal(parseMount('type=bind,target=/x,rw').readOnly, false);
  assert.equal(parseMount('type=cache,target=/x,ro=true').readOnly, true);
  assert.deepEqual(parseMount('type=tmpfs,target=/t,size=64m'), { type: 'tmpfs', readOnly: false, required: false, target: '/t', size: 64 * 1024 * 1024 });
  assert.deepEqual(parseMount('type=secret,id=npmrc,required,env=TOKEN'), { type: 'secret', readOnly: true, required: true, id: 'npmrc', env: 'TOKEN' });
  assert.equal(parseMount('type=ssh').type, 'ssh');
  assert.throws(() => parseMount('type=bind,target=/x,uid=1'), /uid not allowed for "bind" type mounts/);
  assert.throws(() => parseMount('type=bind,target=/x,required'), /unexpected key 'required' for mount type 'bind'/);
  assert.throws(() => parseMount('type=secret'), /one of source, target required/);
  assert.throws(() => parseMount('type=secret,id=a,from=x'), /secret mount should not have a from/);
  assert.throws(() => parseMount('type=bind,target=/x,sharing=locked'), /invalid cache sharing set for bind mount/);
  assert.throws(() => parseMount('type=cache,target=/x,sharing=lock'), /unsupported sharing value "lock" \(did you mean locked\?\)/);
  assert.throws(() => parseMount('type=cache,target=/x,mode=999'), /invalid value 999 for mode/);
  assert.throws(() => parseMount('type=cache,targt=/x'), /unexpected key 'targt' in 'targt=\/x' \(did you mean target\?\)/);
  assert.throws(() => parseMount('type=cache,from=$STAGE,target=/x'), /doesn't support variable expansion/);
  assert.throws(() => parseMount('type=bind,source=/a'), /requires a target/);
  // values with variables wait for expansion
  assert.equal(parseMount('type=cache,target=/x,uid=$UID').uid, undefined);
  assert.equal(parseMount('type=cache,target=/x,uid=$UID', (w) => w.replace('$UID', '42')).uid, 42);
  assert.deepEqual(parseMount('type=bind,"source=a,b",target=/x').source, 'a,b');
  assert.deepEqual(withMountDefaults(parseMount('type=cache,target=/root/.cache/')).id, '/root/.cache');
  const secret = withMountDefaults(parseMount('type=secret,id=aws'));
  assert.deepEqual([secret.id, secret.target], ['aws', '/run/secrets/aws']);
  const ssh = withMountDefaults(parseMount('type=ssh'), 1);
  assert.deepEqual([ssh.id, ssh.target], ['default', '/run/buildkit/ssh_agent.1']);
});

test('CMD, ENTRYPOINT and SHELL', () => {
  assert.deepEqual((one('CMD echo $HOME') as { command: unknown }).command, { args: ['echo $HOME'], prependShell: true });
  assert.deepEqual((one('CMD ["a", "b"]') as { command: unknown }).command, { args: ['a', 'b'], prependShell: false });
  assert.deepEqual((one('ENTRYPOINT []') as { command: unknown }).command, { args: [], prependShell: false });
  assert.deepEqual((one('SHELL ["/bin/bash", "-euo", "pipefail", "-c"]') as { shell: unknown }).shell, ['/bin/bash', '-euo', 'pipefail', '-c']);
  fails('SHELL /bin/bash -c', /SHELL requires the arguments to be in JSON form/);
  fails('SHELL []', /SHELL requires at least one argument/);
});

test('ENV both forms, LABEL, ARG with several defaults', () => {
  assert.deepEqual((one('ENV A=1 B="x y"') as { env: unknown }).env, [{ key: 'A', value: '1' }, { key: 'B', value: '"x y"' }]);
  assert.deepEqual((one('ENV PATH /usr/bin:$PATH') as { env: unknown }).env, [{ key: 'PATH', value: '/usr/bin:$PATH' }]);
  assert.deepEqual((one('LABEL version=1.0 "description"="a b"') as { labels: unknown }).labels, [{ key: 'version', value: '1.0' }, { key: '"description"', value: '"a b"' }]);
  assert.deepEqual((one('ARG A B=2 C= D="x y"') as { args: unknown }).args, [
    { key: 'A' }, { key: 'B', defaultValue: '2' }, { key: 'C', defaultValue: '' }, { key: 'D', defaultValue: '"x y"' },
  ]);
  fails('ARG =x', /ARG names can not be blank/);
  fails('ARG', /ARG requires at least one argument/);
  fails('ENV', /ENV requires at least one argument/);
  fails('ENV =x', /ENV names can not be blank/);
});

test('EXPOSE, VOLUME, WORKDIR, USER, STOPSIGNAL, MAINTAINER', () => {
  assert.deepEqual((one('EXPOSE 8080/tcp 80 53/udp') as { ports: unknown }).ports, ['53/udp', '80', '8080/tcp']);
  assert.deepEqual((one('VOLUME ["/data", "/logs"]') as { volumes: unknown }).volumes, ['/data', '/logs']);
  assert.deepEqual((one('VOLUME /data /logs') as { volumes: unknown }).volumes, ['/data', '/logs']);
  fails('VOLUME [""]', /VOLUME specified can not be an empty string/);
  assert.equal((one('WORKDIR /app dir') as { path: string }).path, '/app dir');
  assert.equal((one('USER app:app') as { user: string }).user, 'app:app');
  assert.equal((one('STOPSIGNAL SIGTERM') as { signal: string }).signal, 'SIGTERM');
  assert.equal((one('MAINTAINER Jane <j@x.org>') as { maintainer: string }).maintainer, 'Jane <j@x.org>');
  fails('WORKDIR', /WORKDIR requires exactly one argument/);
  fails('EXPOSE', /EXPOSE requires at least one argument/);
  fails('USER --x=1 app', /unknown flag: --x/);
});

test('COPY and ADD flags, heredoc sources and errors', () => {
  const copy = one('COPY --from=build --chown=app:app --chmod=0755 --link --parents --exclude=*.md --exclude=tmp a b /dst/');
  assert.deepEqual(copy, {
    kind: 'COPY', line: 2, endLine: 2, original: 'COPY --from=build --chown=app:app --chmod=0755 --link --parents --exclude=*.md --exclude=tmp a b /dst/',
    sources: ['a', 'b'], heredocSources: [], dest: '/dst/', from: 'build', chown: 'app:app', chmod: '0755', link: true, parents: true,
    excludes: ['*.md', 'tmp'],
  });
  const add = one('ADD --checksum=sha256:abc --keep-git-dir=false --unpack https://x/y.tgz /y');
  assert.ok(add.kind === 'ADD');
  if (add.kind !== 'ADD') return;
  assert.deepEqual([add.checksum, add.keepGitDir, add.unpack, add.link, add.chmod], ['sha256:abc', false, true, false, undefined]);
  assert.equal((one('ADD a b') as { keepGitDir?: boolean }).keepGitDir, undefined);
  fails('COPY --chmod=999 a b', /invalid chmod parameter: "999"/);
  fails('COPY --chmod=u+x a b', /invalid chmod parameter/);
  fails('COPY onlyone', /COPY requires at least two arguments/);
  fails('ADD --from=x a b', /unknown flag: --from/);
  fails('COPY --from=$X a b', /variable expansion is not supported for --from/);
  fails('COPY --link=maybe a b', /expecting boolean value for flag --link, not: maybe/);
  fails('COPY --keep-git-dir a b', /unknown flag: --keep-git-dir/);

  const { instructions } = parseInstructions('FROM a\nCOPY <<one.txt <<-"two.sh" /dst/\nhello $USER\none.txt\n\t\techo two\n\ttwo.sh\n');
  const hc = instructions[1]!;
  assert.ok(hc.kind === 'COPY');
  if (hc.kind !== 'COPY') return;
  assert.deepEqual(hc.sources, []);
  assert.deepEqual(hc.heredocSources, [
    { name: 'one.txt', data: 'hello $USER\n', expand: true, chomp: false },
    { name: 'two.sh', data: 'echo two\n', expand: false, chomp: true },
  ]);
  assert.throws(() => parseInstructions('FROM a\nCOPY x <<EOF\nEOF\n'), /COPY cannot accept a heredoc as a destination/);
});

test('HEALTHCHECK NONE and CMD with durations in nanoseconds', () => {
  const hc = one('HEALTHCHECK --interval=30s --timeout=1m30s --start-period=1.5s --start-interval=500ms --retries=3 CMD curl -f http://localhost/');
  assert.deepEqual((hc as { health: unknown }).health, {
    test: ['CMD-SHELL', 'curl -f http://localhost/'], interval: 30e9, timeout: 90e9, startPeriod: 1.5e9, startInterval: 5e8, retries: 3,
  });
  assert.deepEqual((one('HEALTHCHECK CMD ["/bin/check", "-q"]') as { health: { test: string[] } }).health.test, ['CMD', '/bin/check', '-q']);
  assert.deepEqual((one('HEALTHCHECK NONE') as { health: { test: string[] } }).health.test, ['NONE']);
  fails('HEALTHCHECK NONE x', /HEALTHCHECK NONE takes no arguments/);
  fails('HEALTHCHECK CMD', /Missing command after HEALTHCHECK CMD/);
  fails('HEALTHCHECK RUN x', /Unknown type "RUN" in HEALTHCHECK \(try CMD\)/);
  fails('HEALTHCHECK --interval=10us CMD x', /Interval "interval" cannot be less than 1ms/);
  fails('HEALTHCHECK --interval=10 CMD x', /time: /);
  fails('HEALTHCHECK --retries=-1 CMD x', /--retries cannot be negative \(-1\)/);
});

test('ONBUILD parses its trigger and rejects FROM, MAINTAINER and ONBUILD', () => {
  const ob = one('ONBUILD COPY . /app');
  assert.ok(ob.kind === 'ONBUILD');
  if (ob.kind !== 'ONBUILD') return;
  assert.equal(ob.expression, 'COPY . /app');
  assert.equal(ob.trigger.kind, 'COPY');
  fails('ONBUILD ONBUILD RUN x', /Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed/);
  fails('ONBUILD FROM x', /FROM isn't allowed as an ONBUILD trigger/);
  fails('ONBUILD MAINTAINER x', /MAINTAINER isn't allowed as an ONBUILD trigger/);
  fails('ONBUILD', /ONBUILD requires at least one argument/);
  const { instructions } = parseInstructions('FROM a\nonbuild RUN <<EOF\necho hi\nEOF\n');
  const hd = instructions[1]!;
  assert.ok(hd.kind === 'ONBUILD' && hd.expression === 'RUN <<EOF\necho hi\nEOF');
});

test('original text and lines are kept for history', () => {
  const { instructions } = parseInstructions('FROM a\nRUN apt-get update && \\\n    apt-get install -y curl\n');
  assert.deepEqual([instructions[1]!.line, instructions[1]!.endLine, instructions[1]!.original], [2, 3, 'RUN apt-get update &&     apt-get install -y curl']);
});

test('expandInstruction expands the instructions Docker expands', () => {
  const ex = createExpander(envFromList(['DIR=/app', 'USER=app', 'PORTS=80 443', 'MODE=755', 'V=1.0', 'UID=1000']));
  const { instructions } = parseInstructions([
    'FROM a',
    'ENV A="x $DIR" B=\'$DIR\' C=${V:-0}',
    'WORKDIR $DIR/src',
    'COPY --chown=$USER --chmod=$MODE $DIR/a ${DIR}/b',
    'EXPOSE $PORTS',
    'RUN --mount=type=cache,target=$DIR/cache,uid=$UID echo $DIR',
    'COPY <<EOF <<"RAW" /x',
    'dir=$DIR "q"',
    'EOF',
    '$DIR',
    'RAW',
    'LABEL v=$V',
    'USER $USER',
    'VOLUME $DIR/data',
    'STOPSIGNAL ${SIG:-SIGTERM}',
    'ARG X=$DIR',
  ].join('\n') + '\n');
  const out = instructions.map((i) => expandInstruction(i, ex));
  assert.deepEqual((out[1] as { env: unknown }).env, [{ key: 'A', value: 'x /app' }, { key: 'B', value: '$DIR' }, { key: 'C', value: '1.0' }]);
  assert.equal((out[2] as { path: string }).path, '/app/src');
  const copy = out[3]!;
  assert.ok(copy.kind === 'COPY' && copy.chown === 'app' && copy.chmod === '755');
  assert.deepEqual(copy.kind === 'COPY' && [copy.sources, copy.dest], [['/app/a'], '/app/b']);
  assert.deepEqual((out[4] as { ports: unknown }).ports, ['80', '443']);
  const run = out[5]!;
  assert.ok(run.kind === 'RUN');
  assert.deepEqual(run.kind === 'RUN' && [run.mounts[0]!.target, run.mounts[0]!.uid, run.command.args[0]], ['/app/cache', 1000, 'echo $DIR']);
  const hd = out[6]!;
  assert.deepEqual(hd.kind === 'COPY' && hd.heredocSources.map((h) => h.data), ['dir=/app "q"\n', '$DIR\n']);
  assert.deepEqual((out[7] as { labels: unknown }).labels, [{ key: 'v', value: '1.0' }]);
  assert.equal((out[8] as { user: string }).user, 'app');
  assert.deepEqual((out[9] as { volumes: unknown }).volumes, ['/app/data']);
  assert.equal((out[10] as { signal: string }).signal, 'SIGTERM');
  assert.deepEqual((out[11] as { args: unknown }).args, [{ key: 'X', defaultValue: '/app' }]);
  // CMD-like instructions are left alone
  const cmd = parseInstructions('FROM a\nCMD echo $DIR\n').instructions[1]!;
  assert.equal(expandInstruction(cmd, ex), cmd);
  // chmod is validated once expanded
  const bad = parseInstructions('FROM a\nCOPY --chmod=$X a b\n').instructions[1]!;
  assert.throws(() => expandInstruction(bad, createExpander(envFromList(['X=abc']))), /invalid chmod/);
});
