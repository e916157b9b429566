/**
 * Compiled seccomp filters for crun, kept so that each profile is compiled once.
 *
 * Turning Docker's default profile into BPF through libseccomp is ~10 ms of every crun
 * create here. crun writes the filter it compiled to `<root>/<id>/seccomp.bpf`, and its
 * `run.oci.seccomp_bpf_data` annotation loads a given filter instead of compiling the spec's
 * `seccomp` section (whose flags still apply). So the first container with a profile
 * compiles it, berth keeps the result, and later containers with the same profile bring it
 * along. (crun has such a cache of its own, but only when built with libgcrypt; Debian's
 * is not.)
 *
 * The key is the profile and the crun binary that compiled it. The cache lives under the
 * exec root, which a reboot empties.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { OciSpec } from './spec/oci-types.js';

export const SECCOMP_BPF_ANNOTATION = 'run.oci.seccomp_bpf_data';

export class SeccompBpfCache {
  private readonly binaryIdentity: string;
  private readonly known = new Map<string, string>();

  constructor(
    private readonly dir: string,
    runtimePath: string,
  ) {
    const st = statSync(runtimePath);
    this.binaryIdentity = `${runtimePath}:${st.size}:${st.mtimeMs}:${st.ino}`;
  }

  private key(spec: OciSpec): string | undefined {
    const seccomp = spec.linux?.seccomp;
    if (!seccomp) return undefined;
    return createHash('sha256').update(this.binaryIdentity).update('\0').update(JSON.stringify(seccomp)).digest('hex');
  }

  /** The filter compiled before for the profile of `spec` (base64, the annotation's value), if any. */
  async compiledFor(spec: OciSpec): Promise<string | undefined> {
    const key = this.key(spec);
    if (!key) return undefined;
    let data = this.known.get(key);
    if (data === undefined) {
      data = await readFile(path.join(this.dir, key), 'utf8').catch(() => undefined);
      if (!data) return undefined;
      this.known.set(key, data);
    }
    return data;
  }

  /** Keeps the filter crun compiled for `spec` (from its state directory of the container). */
  async keep(spec: OciSpec, compiledFile: string): Promise<void> {
    const key = this.key(spec);
    if (!key || this.known.has(key)) return;
    const bpf = await readFile(compiledFile).catch(() => undefined);
    // A BPF program is a whole number of 8-byte instructions.
    if (!bpf?.length || bpf.length % 8 !== 0) return;
    const data = bpf.toString('base64');
    await mkdir(this.dir, { recursive: true });
    const tmp = path.join(this.dir, `.${key}.${process.pid}`);
    await writeFile(tmp, data);
    await rename(tmp, path.join(this.dir, key));
    this.known.set(key, data);
  }
}
