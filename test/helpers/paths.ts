import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** Whether this test runs from the compiled tree (dist/test/...) or from source through tsx. */
export const compiled = here.split('/').includes('dist');
/** The repository root, whichever way the tests run. */
export const repoRoot = compiled ? resolve(here, '../../..') : resolve(here, '../..');

/** argv to run one of berth's entry points (`src/daemon/run.ts`, `src/cli/run.ts`). */
export function entryCommand(entry: 'daemon' | 'cli'): string[] {
  const rel = entry === 'daemon' ? 'src/daemon/run' : 'src/cli/run';
  if (compiled) return [process.execPath, join(repoRoot, 'dist', `${rel}.js`)];
  return [process.execPath, '--import', 'tsx', join(repoRoot, `${rel}.ts`)];
}

export const fixturesDir = join(repoRoot, 'fixtures', 'out');
export const busyboxTar = join(fixturesDir, 'busybox-rootfs.tar');
export const busyboxRootfs = join(fixturesDir, 'busybox-rootfs');

export function fixturesReady(): boolean {
  return existsSync(busyboxTar) && existsSync(busyboxRootfs);
}

/**
 * argv to run a helper script that sits next to a test (`name` without extension): the
 * compiled `.js` beside a compiled test, or the `.ts` through tsx beside a source one.
 */
export function siblingScript(testUrl: string, name: string): string[] {
  const here = dirname(fileURLToPath(testUrl));
  return compiled ? [process.execPath, join(here, `${name}.js`)] : [process.execPath, '--import', 'tsx', join(here, `${name}.ts`)];
}
