/**
 * The build context as a tar stream for `POST /build`: the files `.dockerignore` keeps (the
 * Dockerfile and the ignore file always go), a Dockerfile from outside the context under a
 * private name, and secrets under the reserved directory the daemon takes them out of.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type * as tar from 'tar-stream';
import { tarPack } from '../../../util/tar-pack.js';
import { DockerignoreMatcher, loadDockerignore, walkContext } from './dockerignore.js';
import { SECRETS_DIR } from './extract.js';

export interface ContextTarOptions {
  contextDir: string;
  /** -f: path as given (relative to the cwd) or undefined for <context>/Dockerfile. */
  dockerfile?: string;
  secrets: { id: string; src: string }[];
}

export async function contextTar(o: ContextTarOptions): Promise<{ stream: Readable; dockerfileName: string }> {
  const contextDir = resolve(o.contextDir);
  const dockerfilePath = o.dockerfile ? resolve(o.dockerfile) : join(contextDir, 'Dockerfile');
  const rel = relative(contextDir, dockerfilePath);
  const inside = !rel.startsWith('..') && !rel.startsWith(sep);
  const dockerfileName = inside ? rel.split(sep).join('/') : `.dockerfile.${randomBytes(10).toString('hex')}`;
  const { patterns } = await loadDockerignore({ contextDir, dockerfilePath: inside ? rel : undefined });
  const entries = await walkContext(contextDir, new DockerignoreMatcher(patterns));
  const pack = tarPack();
  const add = (header: Partial<tar.Header> & { name: string }, file?: string): Promise<void> =>
    new Promise((res, rej) => {
      const done = (err?: Error | null) => (err ? rej(err) : res());
      if (!file) {
        pack.entry(header, done);
        return;
      }
      const sink = pack.entry(header, done);
      createReadStream(file).on('error', rej).pipe(sink as unknown as NodeJS.WritableStream);
    });
  void (async () => {
    const seen = new Set(entries.map((e) => e.path));
    for (const e of entries) {
      const abs = join(contextDir, e.path);
      if (e.type === 'dir') await add({ name: e.path, type: 'directory', mode: e.mode });
      else if (e.type === 'symlink') await add({ name: e.path, type: 'symlink', linkname: e.linkTarget, mode: e.mode });
      else await add({ name: e.path, type: 'file', mode: e.mode, size: e.size, mtime: (await lstat(abs)).mtime }, abs);
    }
    for (const always of [dockerfileName, '.dockerignore']) {
      if (seen.has(always)) continue;
      const file = always === dockerfileName ? dockerfilePath : join(contextDir, always);
      const st = await lstat(file).catch(() => undefined);
      if (st?.isFile()) await add({ name: always, type: 'file', mode: 0o644, size: st.size }, file);
    }
    for (const s of o.secrets) {
      const data = await readFile(s.src);
      await new Promise<void>((res, rej) => pack.entry({ name: `${SECRETS_DIR}/${s.id}`, type: 'file', mode: 0o600 }, data, (err) => (err ? rej(err) : res())));
    }
    pack.finalize();
  })().catch((err: Error) => pack.destroy(err));
  return { stream: pack as unknown as Readable, dockerfileName };
}
