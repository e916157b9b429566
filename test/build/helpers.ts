import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli, type CliResult } from '../cli/helpers.js';
import type { TestDaemon } from '../helpers/daemon.js';

export const DOCKER = '/usr/local/bin/docker';
export const hasDocker = existsSync(DOCKER);

/** The real docker CLI with the classic builder, against the test daemon. */
export function docker(d: TestDaemon, args: string[], input?: string | Buffer): Promise<CliResult> {
  return runCli(args, { command: [DOCKER], env: { ...d.dockerEnv(), DOCKER_BUILDKIT: '0' }, input });
}

export async function dockerOk(d: TestDaemon, args: string[], input?: string | Buffer): Promise<string> {
  const r = await docker(d, args, input);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\ndaemon: ${d.logs().slice(-2000)}`);
  return r.stdout;
}

/** A context directory with the given files (path -> content). */
export async function makeContext(base: string, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(base, 'ctx-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

export async function workDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'berth-build-test-'));
}

/** Steps that actually ran a container. */
export function ranSteps(output: string): number {
  return (output.match(/---> Running in /g) ?? []).length;
}
