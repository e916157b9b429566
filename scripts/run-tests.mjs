#!/usr/bin/env node
// Runs every test with node's test runner on the compiled tree (npm run build first).
// Usage: node scripts/run-tests.mjs [--unit] [path-substring ...]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

// A clean build: compiled files of deleted sources must not run as tests.
rmSync(join(root, 'dist'), { recursive: true, force: true });
// What `npm run build` does: tsc, then the CLI bundle that bin/berth runs (tests run it too).
for (const [cmd, cmdArgs] of [['npx', ['tsc', '-p', 'tsconfig.json']], [process.execPath, [join(root, 'scripts/bundle-cli.mjs')]]]) {
  const build = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

function walk(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
let files = [...walk(join(root, 'dist/src'), []), ...(unitOnly ? [] : walk(join(root, 'dist/test'), []))].sort();
if (filters.length) files = files.filter((f) => filters.some((s) => relative(root, f).includes(s)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Integration tests share kernel state (mounts, iptables, cgroups): run files one at a time.
const res = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=600000', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(res.status ?? 1);
