// Bundles the compiled CLI (dist/src/cli, from tsc) into dist/cli/, which bin/berth runs:
// - berth.cjs, the whole CLI in one CommonJS file. Node 20 loads ES modules one file at a time
//   (50 for `berth --version`, ~45 ms of every start here), and has a code cache for scripts
//   only, not for ES modules.
// - launch.cjs (src/cli/launch.ts), which runs berth.cjs through that code cache (code-cache.ts);
//   the first cache is written here, by a `berth run`.
// Packages with native addons stay in node_modules, where their binaries are found.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/cli');
const common = { bundle: true, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning', metafile: true };

await rm(outdir, { recursive: true, force: true });
const cli = await build({
  ...common,
  entryPoints: [join(root, 'dist/src/cli/run.js')],
  outfile: join(outdir, 'berth.cjs'),
  external: ['better-sqlite3', 'koffi', '@napi-rs/xattr', 'node-unix-socket'],
});
// launch.cjs reads the bundle as Latin-1, a third of the time UTF-8 decoding takes (~4 ms here):
// esbuild escapes what is not ASCII in strings, but not in regular expression literals.
const text = await readFile(join(outdir, 'berth.cjs'), 'latin1');
const nonAscii = /[^\x00-\x7f]/.exec(text);
if (nonAscii) throw new Error(`the CLI bundle is not ASCII: ${JSON.stringify(text.slice(nonAscii.index - 60, nonAscii.index + 10))}: write \\uXXXX in the source`);
// launch.cjs runs the bundle as a plain script, without a loader for import(): esbuild turns
// imports of bundled modules into require()s, and none of a package or built-in may be left.
const dynamic = Object.values(cli.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.kind === 'dynamic-import'));
if (dynamic.length) throw new Error(`the CLI bundle keeps import() of ${dynamic.map((i) => i.path).join(', ')}: import them statically`);

await build({ ...common, entryPoints: [join(root, 'dist/src/cli/launch.js')], outfile: join(outdir, 'launch.cjs') });

// The first cache is for node as bin/berth runs it, without flags, and from a `berth run` (to a
// daemon that is not there): the functions a run compiles are in it too, ~6 ms of a run here.
const { NODE_OPTIONS: _, ...env } = process.env;
const nowhere = await mkdtemp(join(tmpdir(), 'berth-bundle-'));
try {
  const args = [join(outdir, 'launch.cjs'), '-H', `unix://${join(nowhere, 'none.sock')}`, 'run', '--rm', '--network', 'none', 'busybox', 'true'];
  const first = spawnSync(process.execPath, args, { encoding: 'utf8', env });
  if (first.status !== 1 || !/is not reachable/.test(first.stderr)) throw new Error(`berth run without a daemon did not fail as it should after bundling: ${first.stderr}`);
} finally {
  await rm(nowhere, { recursive: true, force: true });
}
if (!(await readdir(outdir)).some((f) => f.endsWith('.cache'))) throw new Error('berth run wrote no code cache');
