import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { busyboxTar, fixturesReady, repoRoot } from './paths.js';

/** Builds the busybox fixture once (scripts/make-fixtures.sh) and returns the rootfs tarball. */
export function ensureBusyboxFixture(): string {
  if (!fixturesReady()) execFileSync('bash', [join(repoRoot, 'scripts', 'make-fixtures.sh')], { stdio: 'inherit' });
  return busyboxTar;
}
