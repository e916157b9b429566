import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerfileParseError } from './errors.js';
import { envFromList } from './expand.js';
import { planBuild, resolveArgValue } from './stages.js';

const multi = [
  'ARG GO=1.22',
  'ARG BASE',
  'FROM golang:${GO} AS deps',
  'RUN go mod download',
  'FROM deps AS build',
  'RUN --mount=type=cache,target=/c --mount=type=bind,from=assets,target=/a go build',
  'FROM node AS assets',
  'RUN npm ci',
  'FROM alpine AS test',
  'COPY --from=1 /out /out',
  'FROM ${BASE:-debian} AS final',
  'COPY --from=build /out/app /app',
  'COPY --from=nginx:latest /etc/nginx /etc/nginx',
].join('\n') + '\n';

test('stages, global ARGs in FROM, references by name, index and images', () => {
  const plan = planBuild({ dockerfile: multi });
  assert.equal(plan.stages.length, 5);
  assert.deepEqual(plan.stages.map((s) => [s.name, s.baseImage, s.baseStage, s.dependencies]), [
    ['deps', 'golang:1.22', undefined, []],
    ['build', 'deps', 0, [0, 2]],
    ['assets', 'node', undefined, []],
    ['test', 'alpine', undefined, [1]],
    ['final', 'debian', undefined, [1]],
  ]);
  assert.deepEqual(plan.stages[4]!.externalImages, ['nginx:latest']);
  assert.equal(plan.targetIndex, 4);
  assert.deepEqual(plan.order, [0, 2, 1, 4]);
  assert.deepEqual(plan.parallelGroups, [[0, 2], [1], [4]]);
  assert.equal(plan.stages[1]!.instructions.length, 1);
  assert.equal(plan.stages[1]!.from.line, 5);
  assert.equal(plan.metaArgs.length, 2);
});

test('--target prunes to what the target needs, case-insensitively', () => {
  assert.deepEqual(planBuild({ dockerfile: multi, target: 'TEST' }).order, [0, 2, 1, 3]);
  assert.deepEqual(planBuild({ dockerfile: multi, target: 'assets' }).order, [2]);
  assert.throws(() => planBuild({ dockerfile: multi, target: 'bulid' }), (e: unknown) =>
    e instanceof DockerfileParseError && e.detail === 'target stage "bulid" could not be found (did you mean build?)');
});

test('build args override global ARG defaults and feed FROM', () => {
  const plan = planBuild({ dockerfile: multi, buildArgs: { GO: '1.23', BASE: 'ubuntu', NOT_DECLARED: 'x', HTTP_PROXY: 'http://p' } });
  assert.equal(plan.stages[0]!.baseImage, 'golang:1.23');
  assert.equal(plan.stages[4]!.baseImage, 'ubuntu');
  assert.deepEqual(plan.unusedBuildArgs, ['NOT_DECLARED']);
  assert.deepEqual([...plan.proxyArgs], [['HTTP_PROXY', 'http://p']]);
});

test('predefined platform args are usable in FROM and overridable', () => {
  const df = 'FROM --platform=$BUILDPLATFORM busybox AS b\nFROM alpine-${TARGETARCH}:${TARGETOS}\n';
  const plan = planBuild({ dockerfile: df });
  assert.equal(plan.stages[0]!.platform, 'linux/amd64');
  assert.equal(plan.stages[1]!.baseImage, 'alpine-amd64:linux');
  assert.equal(plan.globalArgs.get('TARGETPLATFORM'), 'linux/amd64');
  const arm = planBuild({ dockerfile: df, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
  assert.equal(arm.stages[1]!.baseImage, 'alpine-arm64:linux');
  assert.equal(arm.globalArgs.get('TARGETPLATFORM'), 'linux/arm64/v8');
  assert.equal(arm.globalArgs.get('BUILDPLATFORM'), 'linux/amd64');
  assert.equal(planBuild({ dockerfile: df, buildArgs: { TARGETARCH: 'riscv64' } }).stages[1]!.baseImage, 'alpine-riscv64:linux');
});

test('ARG scoping: global ARGs must be redeclared inside a stage', () => {
  const df = 'ARG V=1\nARG W=$V.5\nFROM img:$W\nARG V\nARG X=$V-x\n';
  const plan = planBuild({ dockerfile: df, buildArgs: { X: 'given' } });
  assert.equal(plan.stages[0]!.baseImage, 'img:1.5');
  assert.equal(plan.globalArgs.get('W'), '1.5');
  assert.deepEqual(plan.unusedBuildArgs, []);
  // ARG V inside the stage takes the global value; X's default expands with the stage env
  const stageEnv = new Map<string, string>();
  assert.equal(resolveArgValue({ key: 'V', buildArgs: {}, env: stageEnv, globalArgs: plan.globalArgs }), '1');
  stageEnv.set('V', '1');
  assert.equal(resolveArgValue({ key: 'X', defaultValue: '$V-x', buildArgs: {}, env: stageEnv, globalArgs: plan.globalArgs }), '1-x');
  assert.equal(resolveArgValue({ key: 'X', defaultValue: '$V-x', buildArgs: { X: 'given' }, env: stageEnv }), 'given');
  // not redeclared: the stage does not see it
  assert.equal(resolveArgValue({ key: 'Q', buildArgs: {}, env: envFromList([]), globalArgs: new Map() }), undefined);
  // global ARGs are not visible to stage instructions without redeclaration: FROM sees them, nothing else does
  assert.throws(() => planBuild({ dockerfile: 'ARG IMG\nFROM $IMG\n' }), /base name \(\$IMG\) should not be blank/);
});

test('instructions before the first FROM other than ARG are errors', () => {
  assert.throws(() => planBuild({ dockerfile: 'RUN x\nFROM a\n' }), /Dockerfile:1: no build stage in current context/);
  assert.throws(() => planBuild({ dockerfile: 'ARG A=1\n' }), /no build stage in current context/);
});

test('cycles, bad indices and forward references', () => {
  const cycle = 'FROM a AS one\nCOPY --from=two / /\nFROM b AS two\nCOPY --from=one / /\n';
  assert.throws(() => planBuild({ dockerfile: cycle }), /circular dependency detected on stage: (one|two)/);
  assert.throws(() => planBuild({ dockerfile: 'FROM a\nCOPY --from=0 / /\n' }), /circular dependency detected on stage: stage-0/);
  assert.throws(() => planBuild({ dockerfile: 'FROM a\nCOPY --from=3 / /\n' }), /Dockerfile:2: invalid stage index 3/);
  // COPY --from may name a later stage; FROM only earlier ones (otherwise it is an image)
  const fwd = planBuild({ dockerfile: 'FROM a AS first\nCOPY --from=later / /\nFROM later AS x\nFROM b AS later\n', target: 'first' });
  assert.deepEqual(fwd.order, [2, 0]);
  assert.equal(fwd.stages[1]!.baseStage, undefined);
  // RUN --mount from= by index too
  assert.deepEqual(planBuild({ dockerfile: 'FROM a\nFROM b\nRUN --mount=from=0,target=/x true\n' }).order, [0, 1]);
});

test('unnamed stages and the default target', () => {
  const plan = planBuild({ dockerfile: 'FROM a\nRUN one\nFROM b\nRUN two\n' });
  assert.equal(plan.targetIndex, 1);
  assert.deepEqual(plan.order, [1]);
  assert.equal(plan.stages[0]!.name, undefined);
});
