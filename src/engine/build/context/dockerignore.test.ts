import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  DockerignoreMatcher, cleanPath, contentHash, ignoreFileCandidates, loadDockerignore, parseDockerignore, walkContext,
} from './dockerignore.js';

const matches = (file: string, patterns: string[]): boolean => new DockerignoreMatcher(patterns).matches(file);

// From moby/patternmatcher TestMatches (pattern, path, expected), checked with MatchesOrParentMatches.
const single: [string, string, boolean][] = [
  ['**', 'file', true], ['**', 'file/', true], ['**/', 'file', true], ['**/', 'file/', true], ['**', '/', true],
  ['**/', '/', true], ['**', 'dir/file', true], ['**/', 'dir/file', true], ['**', 'dir/file/', true], ['**/', 'dir/file/', true],
  ['**/**', 'dir/file', true], ['**/**', 'dir/file/', true], ['dir/**', 'dir/file', true], ['dir/**', 'dir/file/', true],
  ['dir/**', 'dir/dir2/file', true], ['dir/**', 'dir/dir2/file/', true], ['**/dir', 'dir', true], ['**/dir', 'dir/file', true],
  ['**/dir2/*', 'dir/dir2/file', true], ['**/dir2/*', 'dir/dir2/file/', true], ['**/dir2/**', 'dir/dir2/dir3/file', true],
  ['**/dir2/**', 'dir/dir2/dir3/file/', true], ['**file', 'file', true], ['**file', 'dir/file', true], ['**/file', 'dir/file', true],
  ['**file', 'dir/dir/file', true], ['**/file', 'dir/dir/file', true], ['**/file*', 'dir/dir/file', true],
  ['**/file*', 'dir/dir/file.txt', true], ['**/file*txt', 'dir/dir/file.txt', true], ['**/file*.txt', 'dir/dir/file.txt', true],
  ['**/file*.txt*', 'dir/dir/file.txt', true], ['**/**/*.txt', 'dir/dir/file.txt', true], ['**/**/*.txt2', 'dir/dir/file.txt', false],
  ['**/*.txt', 'file.txt', true], ['**/**/*.txt', 'file.txt', true], ['a**/*.txt', 'a/file.txt', true], ['a**/*.txt', 'a/dir/file.txt', true],
  ['a**/*.txt', 'a/dir/dir/file.txt', true], ['a/*.txt', 'a/dir/file.txt', false], ['a/*.txt', 'a/file.txt', true],
  ['a/*.txt**', 'a/file.txt', true], ['a[b-d]e', 'ae', false], ['a[b-d]e', 'ace', true], ['a[b-d]e', 'aae', false],
  ['a[^b-d]e', 'aze', true], ['.*', '.foo', true], ['.*', 'foo', false], ['abc.def', 'abcdef', false], ['abc.def', 'abc.def', true],
  ['abc.def', 'abcZdef', false], ['abc?def', 'abcZdef', true], ['abc?def', 'abcdef', false], ['a\\\\', 'a\\', true],
  ['**/foo/bar', 'foo/bar', true], ['**/foo/bar', 'dir/foo/bar', true], ['**/foo/bar', 'dir/dir2/foo/bar', true],
  ['abc/**', 'abc', false], ['abc/**', 'abc/def', true], ['abc/**', 'abc/def/ghi', true], ['**/.foo', '.foo', true],
  ['**/.foo', 'bar.foo', false], ['a(b)c/def', 'a(b)c/def', true], ['a(b)c/def', 'a(b)c/xyz', false],
  ['a.|)$(}+{bc', 'a.|)$(}+{bc', true],
  ['dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
  ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true], ['a\\*b', 'a*b', true],
];

test('patternmatcher TestMatches cases', () => {
  for (const [pattern, file, expected] of single) {
    const m = new DockerignoreMatcher([pattern]);
    assert.equal(m.matchesOrParentMatches(file), expected, `pattern=${pattern} file=${file}`);
  }
});

test('patternmatcher multi-pattern cases', () => {
  const whl = 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl';
  assert.equal(matches('util/docker/web/foo', ['**', '!util/docker/web']), false);
  assert.equal(matches('util/docker/web/foo', ['**', '!util/docker/web', 'util/docker/web/foo']), true);
  assert.equal(matches(whl, ['**', `!${whl}`]), false);
  assert.equal(matches(whl, ['**', '!dist/*.whl']), false);
});

// From patternmatcher's matchTests (Go filepath.Match tests); undefined = ErrBadPattern.
const globCases: [string, string, boolean | undefined][] = [
  ['abc', 'abc', true], ['*', 'abc', true], ['*c', 'abc', true], ['a*', 'a', true], ['a*', 'abc', true], ['a*', 'ab/c', true],
  ['a*/b', 'abc/b', true], ['a*/b', 'a/c/b', false], ['a*b*c*d*e*/f', 'axbxcxdxe/f', true], ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false], ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false], ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false], ['ab[c]', 'abc', true], ['ab[b-d]', 'abc', true], ['ab[e-g]', 'abc', false],
  ['ab[^c]', 'abc', false], ['ab[^b-d]', 'abc', false], ['ab[^e-g]', 'abc', true], ['a\\*b', 'a*b', true], ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true], ['a[^a]b', 'a☺b', true], ['a???b', 'a☺b', false], ['a[^a][^a][^a]b', 'a☺b', false], ['[a-ζ]*', 'α', true],
  ['*[a-ζ]', 'A', false], ['a?b', 'a/b', false], ['a*b', 'a/b', false], ['[\\]a]', ']', true], ['[\\-]', '-', true],
  ['[x\\-]', 'x', true], ['[x\\-]', '-', true], ['[x\\-]', 'z', false], ['[\\-x]', 'x', true], ['[\\-x]', '-', true],
  ['[\\-x]', 'a', false], ['[]a]', ']', undefined], ['[-]', '-', undefined], ['[x-]', 'x', undefined], ['[x-]', '-', undefined],
  ['[x-]', 'z', undefined], ['[-x]', 'x', undefined], ['[-x]', '-', undefined], ['[-x]', 'a', undefined], ['\\', 'a', undefined],
  ['[a-b-c]', 'a', undefined], ['[', 'a', undefined], ['[^', 'a', undefined], ['[^bc', 'a', undefined], ['a[', 'a', undefined],
  ['a[', 'ab', undefined], ['*x', 'xxx', true],
];

test('filepath.Match cases, including bad patterns', () => {
  for (const [pattern, file, expected] of globCases) {
    if (expected === undefined) assert.throws(() => matches(file, [pattern]), /syntax error in pattern/, pattern);
    else assert.equal(matches(file, [pattern]), expected, `pattern=${pattern} file=${file}`);
  }
});

test('exclusion basics from patternmatcher', () => {
  assert.equal(matches('fileutils.go', ['*']), true);
  assert.equal(matches('fileutils.go', ['*.go']), true);
  assert.equal(matches('fileutils.go', ['!fileutils.go', '*.go']), true);
  assert.equal(matches('docs/README.md', ['docs', '!docs/README.md']), false);
  assert.equal(matches('docs/README.md', ['docs/', '!docs/README.md']), false);
  assert.equal(matches('docs/README.md', ['docs/*', '!docs/README.md']), false);
  assert.equal(matches('fileutils.go', ['*.go', '!fileutils.go']), false);
  assert.equal(matches('.', ['*.go']), false);
  assert.equal(matches('/any/path/there', []), false);
  assert.throws(() => new DockerignoreMatcher(['!']), /illegal exclusion pattern/);
  assert.equal(new DockerignoreMatcher(['docs', 'config', '']).patterns.length, 2);
  assert.equal(new DockerignoreMatcher(['docs', '  !docs/README.md']).hasExclusions, true);
  assert.equal(new DockerignoreMatcher(['docs', '!docs/README.md  ']).hasExclusions, true);
});

test('.dockerignore file parsing: comments, cleaning, leading slash, exceptions', () => {
  const text = '\uFEFF# comment\n\n  node_modules/  \n/build\n./tmp/../cache//x\n! keep.md\n!/docs/a\n  # not a comment (leading space)\r\n';
  assert.deepEqual(parseDockerignore(text), ['node_modules', 'build', 'cache/x', '!keep.md', '!docs/a', '# not a comment (leading space)']);
  assert.equal(cleanPath('a//b/./c/..'), 'a/b');
  assert.equal(cleanPath('/../a'), '/a');
  assert.equal(cleanPath(''), '.');
});

test('last match wins and exceptions re-include files under excluded directories', () => {
  const m = new DockerignoreMatcher(parseDockerignore('*\n!src\nsrc/**/*.test.ts\n!src/keep.test.ts\n'));
  assert.equal(m.matches('README.md'), true);
  assert.equal(m.matches('src/app.ts'), false);
  assert.equal(m.matches('src/deep/a.test.ts'), true);
  assert.equal(m.matches('src/keep.test.ts'), false);
});

async function makeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), content);
  }
}

test('walkContext lists included files in stable order and walks excluded dirs with exceptions', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-ctx-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await makeTree(dir, {
    'b.txt': 'b', 'a.txt': 'a', 'Dockerfile': 'FROM x',
    'node_modules/pkg/index.js': 'x', 'node_modules/keep/README.md': 'keep',
    'logs/1.log': '', 'logs/sub/2.log': '', 'src/main.ts': 'main', 'src/z/deep.ts': 'z',
  });
  await symlink('a.txt', path.join(dir, 'link'));
  const m = new DockerignoreMatcher(parseDockerignore('node_modules\n!node_modules/keep/README.md\nlogs\n*.txt\n!a.txt\n'));
  const entries = await walkContext(dir, m);
  assert.deepEqual(entries.map((e) => `${e.type}:${e.path}`), [
    'file:Dockerfile', 'file:a.txt', 'symlink:link',
    'dir:node_modules', 'dir:node_modules/keep', 'file:node_modules/keep/README.md',
    'dir:src', 'file:src/main.ts', 'dir:src/z', 'file:src/z/deep.ts',
  ]);
  assert.equal(entries.find((e) => e.path === 'link')?.linkTarget, 'a.txt');
  // without exceptions excluded directories are skipped entirely
  const plain = await walkContext(dir, new DockerignoreMatcher(['node_modules', 'src/z']));
  assert.ok(!plain.some((e) => e.path.startsWith('node_modules') || e.path.startsWith('src/z')));
  assert.ok(plain.some((e) => e.path === 'logs/sub/2.log'));
  // the exception check avoids walking unrelated excluded directories
  assert.equal(m.mayIncludeUnder('logs'), false);
  assert.equal(m.mayIncludeUnder('node_modules'), true);
  assert.equal(new DockerignoreMatcher(['x', '!**/keep']).mayIncludeUnder('x/y'), true);
});

test('Dockerfile-specific ignore file wins over .dockerignore', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-ign-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await makeTree(dir, { '.dockerignore': 'general\n', 'docker/app.Dockerfile': '', 'docker/app.Dockerfile.dockerignore': 'specific\n' });
  assert.deepEqual(ignoreFileCandidates({ contextDir: dir, dockerfilePath: 'docker/app.Dockerfile' }), [
    path.join(dir, 'docker/app.Dockerfile.dockerignore'), path.join(dir, '.dockerignore'),
  ]);
  assert.deepEqual((await loadDockerignore({ contextDir: dir, dockerfilePath: 'docker/app.Dockerfile' })).patterns, ['specific']);
  assert.deepEqual((await loadDockerignore({ contextDir: dir, dockerfilePath: 'Dockerfile' })).patterns, ['general']);
  assert.deepEqual(await loadDockerignore({ contextDir: path.join(dir, 'docker') }), { patterns: [] });
});

test('contentHash depends on content, mode and names, not on mtimes', async (t) => {
  const a = await mkdtemp(path.join(tmpdir(), 'berth-hash-a-'));
  const b = await mkdtemp(path.join(tmpdir(), 'berth-hash-b-'));
  t.after(async () => {
    await rm(a, { recursive: true, force: true });
    await rm(b, { recursive: true, force: true });
  });
  const files = { 'app/x.txt': 'x', 'app/sub/y.txt': 'y', 'app/ignored.log': 'noise' };
  await makeTree(a, files);
  await new Promise((r) => setTimeout(r, 20));
  await makeTree(b, files);
  for (const root of [a, b]) {
    await chmod(path.join(root, 'app'), 0o755);
    await chmod(path.join(root, 'app/sub'), 0o755);
    for (const f of Object.keys(files)) await chmod(path.join(root, f), 0o644);
  }
  const ha = await contentHash({ root: a, target: 'app' });
  assert.match(ha, /^sha256:[0-9a-f]{64}$/);
  assert.equal(await contentHash({ root: b, target: 'app' }), ha);
  assert.equal(await contentHash({ root: a, target: 'app/x.txt' }), await contentHash({ root: b, target: 'app/x.txt' }));

  await writeFile(path.join(b, 'app/sub/y.txt'), 'Y');
  assert.notEqual(await contentHash({ root: b, target: 'app' }), ha);
  await writeFile(path.join(b, 'app/sub/y.txt'), 'y');
  await chmod(path.join(b, 'app/x.txt'), 0o755);
  assert.notEqual(await contentHash({ root: b, target: 'app' }), ha);
  await chmod(path.join(b, 'app/x.txt'), 0o644);
  assert.equal(await contentHash({ root: b, target: 'app' }), ha);

  // ignored files do not count (patterns are relative to the context root)
  const m = new DockerignoreMatcher(['**/*.log']);
  const withIgnore = await contentHash({ root: a, target: 'app', matcher: m });
  await writeFile(path.join(a, 'app/ignored.log'), 'changed');
  assert.equal(await contentHash({ root: a, target: 'app', matcher: m }), withIgnore);
  // renaming changes the hash
  await makeTree(a, { 'app/x2.txt': 'x' });
  await rm(path.join(a, 'app/x.txt'));
  await chmod(path.join(a, 'app/x2.txt'), 0o644);
  assert.notEqual(await contentHash({ root: a, target: 'app', matcher: m }), withIgnore);
});
