// Bundles the compiled CLI (dist/src/cli/run.js, from tsc) into dist/cli/, which bin/berth runs.
// Node 20 loads ES modules one file at a time: the CLI's own files and commander's (50 for
// `berth --version`) cost ~45 ms of every start here, the bundle a few. Command groups the CLI
// imports lazily (build, compose, registry, pulls and pushes) stay chunks of their own.
// Packages with native addons stay in node_modules, where their binaries are found.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/cli');
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'dist/src/cli/run.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'koffi', '@napi-rs/xattr', 'node-unix-socket'],
  // Bundled CommonJS packages (commander among them) call require(), which an ES module lacks.
  banner: { js: "import { createRequire as berthCreateRequire } from 'node:module'; const require = berthCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
