/**
 * Shared setup for the runtime integration tests: a private runtime layout under a temp
 * dir, a copy of the busybox fixture rootfs per container, spec generation with defaults,
 * and cleanup that removes every container, cgroup and file even when a test fails.
 */
import { repoRoot } from '../helpers/paths.js';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ContainerConfig, HostConfig } from '../../src/api/types/container.js';
import { ConmonRuntime } from '../../src/runtime/container-runtime.js';
import type { RuntimeName } from '../../src/runtime/oci-runtime.js';
import { generateSpec } from '../../src/runtime/spec/generate.js';
import { detectHostInfo } from '../../src/runtime/spec/host-info.js';
import type { OciSpec } from '../../src/runtime/spec/oci-types.js';
import { readUserDatabase } from '../../src/runtime/spec/user.js';

const repo = repoRoot;
export const FIXTURE_ROOTFS = path.join(repo, 'fixtures/out/busybox-rootfs');

export function ensureFixtures(): void {
  if (!existsSync(path.join(FIXTURE_ROOTFS, 'bin/busybox'))) {
    execFileSync('bash', [path.join(repo, 'scripts/make-fixtures.sh')], { stdio: 'ignore' });
  }
}

export interface TestEnv {
  dir: string;
  rt: ConmonRuntime;
  cgroupParent: string;
  ids: Set<string>;
  /** Creates a container (rootfs copy + spec + conmon) and remembers it for cleanup. */
  create(o: CreateTestOptions): Promise<{ id: string; pid: number; logPath: string; spec: OciSpec }>;
  cleanup(): Promise<void>;
}

export interface CreateTestOptions {
  config: ContainerConfig;
  hostConfig?: HostConfig;
  openStdin?: boolean;
  stdinOnce?: boolean;
  /** Edit the spec before create. */
  tweak?: (spec: OciSpec) => void;
}

let counter = 0;

/** `runtime`: the runtime's default runtime (unless given, crun where it can run, else runc). */
export async function setupEnv(opts: { runtime?: RuntimeName } = {}): Promise<TestEnv> {
  ensureFixtures();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-rt-'));
  const rt = await ConmonRuntime.open({ runRoot: path.join(dir, 'run'), bundleRoot: path.join(dir, 'bundles'), runtime: opts.runtime });
  const cgroupParent = `/berth-test-${process.pid}`;
  const ids = new Set<string>();
  const env: TestEnv = {
    dir,
    rt,
    cgroupParent,
    ids,
    async create(o) {
      const id = `t${process.pid}x${++counter}${Math.random().toString(16).slice(2, 8)}`;
      const rootfs = path.join(dir, 'rootfs', id);
      await cp(FIXTURE_ROOTFS, rootfs, { recursive: true, verbatimSymlinks: true });
      const { spec } = generateSpec({
        id,
        config: o.config,
        hostConfig: o.hostConfig ?? {},
        rootfsPath: rootfs,
        users: readUserDatabase(rootfs),
        cgroupParent,
        host: detectHostInfo(),
      });
      o.tweak?.(spec);
      const logPath = path.join(dir, 'logs', `${id}.log`);
      ids.add(id);
      const { pid } = await rt.create({ id, spec, logPath, openStdin: o.openStdin, stdinOnce: o.stdinOnce });
      return { id, pid, logPath, spec };
    },
    async cleanup() {
      for (const id of ids) await rt.delete(id, { force: true }).catch(() => undefined);
      rt.close();
      await removeCgroups(cgroupParent);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return env;
}

/** Removes the per-test cgroup parent in every hierarchy (the runtime removes the leaves). */
async function removeCgroups(parent: string): Promise<void> {
  const hierarchies = await readdir('/sys/fs/cgroup').catch(() => [] as string[]);
  for (const root of ['/sys/fs/cgroup', ...hierarchies.map((h) => `/sys/fs/cgroup/${h}`)]) {
    const p = path.join(root, parent);
    if (existsSync(p)) await rm(p, { recursive: false }).catch(() => execFileSync('rmdir', [p]));
  }
}

/** Reads a whole readable into a string. */
export async function collect(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk.toString();
  return out;
}

export async function readLogText(logPath: string): Promise<string> {
  return readFile(logPath, 'utf8');
}
