import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import * as tar from 'tar-stream';
import { loadProject, serviceConfigHash, type Project } from '../loader/index.js';
import { configHash, injectedFiles, injectedFilesTar, InjectedFileError } from './injected-files.js';

const temps: string[] = [];
after(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

async function load(yaml: string, environment: Record<string, string> = {}): Promise<Project> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-injected-'));
  temps.push(dir);
  await writeFile(path.join(dir, 'compose.yaml'), yaml);
  await writeFile(path.join(dir, 'key.pem'), 'pem');
  return loadProject({ workingDir: dir, projectName: 'p', environment });
}

const FILE = (content: string) => `services:
  app:
    image: busybox
    secrets: [token, { source: key, target: tls/key.pem }]
    configs: [{ source: conf, target: /etc/app.conf, uid: "1000", gid: "1001", mode: 0400 }]
  plain:
    image: busybox
    secrets: [key]
secrets:
  token: { environment: TOKEN }
  key: { file: ./key.pem }
configs:
  conf: { content: "${content}" }
`;

async function entries(archive: Buffer): Promise<Array<{ name: string; mode?: number; uid?: number; gid?: number; body: string }>> {
  const out: Array<{ name: string; mode?: number; uid?: number; gid?: number; body: string }> = [];
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c as Buffer));
      stream.on('end', () => {
        out.push({ name: h.name, mode: h.mode, uid: h.uid, gid: h.gid, body: Buffer.concat(chunks).toString() });
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  Readable.from([archive]).pipe(extract as unknown as NodeJS.WritableStream);
  await done;
  return out;
}

describe('injected secrets and configs', () => {
  it('resolves environment and content sources, leaving file sources to bind mounts', async () => {
    const p = await load(FILE('a=1'), { TOKEN: 'abc' });
    const files = injectedFiles(p, p.services.app!);
    assert.deepEqual(files.map((f) => [f.target, f.content, f.uid, f.gid, f.mode.toString(8)]), [
      ['/run/secrets/token', 'abc', 0, 0, '444'],
      ['/etc/app.conf', 'a=1', 1000, 1001, '400'],
    ]);
    assert.deepEqual(injectedFiles(p, p.services.plain!), []);
  });

  it('archives them relative to / with owner and mode', async () => {
    const p = await load(FILE('a=1'), { TOKEN: 'abc' });
    const list = await entries(await injectedFilesTar(injectedFiles(p, p.services.app!)));
    assert.deepEqual(list, [
      { name: 'run/secrets/token', mode: 0o444, uid: 0, gid: 0, body: 'abc' },
      { name: 'etc/app.conf', mode: 0o400, uid: 1000, gid: 1001, body: 'a=1' },
    ]);
  });

  it('names the secret and the variable when the variable is not set', async () => {
    const p = await load(FILE('a=1'));
    assert.throws(() => injectedFiles(p, p.services.app!), (err: unknown) => err instanceof InjectedFileError && /secret "token".*"app".*environment variable "TOKEN".*not set/.test(err.message));
  });

  it('extends the config hash with the data, and only for services that have such files', async () => {
    const p = await load(FILE('a=1'), { TOKEN: 'abc' });
    assert.equal(configHash(p, p.services.plain!), serviceConfigHash(p.services.plain!));
    const h = configHash(p, p.services.app!);
    assert.notEqual(h, serviceConfigHash(p.services.app!));
    assert.equal(configHash(await load(FILE('a=1'), { TOKEN: 'abc' }), p.services.app!), h);
    const otherToken = await load(FILE('a=1'), { TOKEN: 'xyz' });
    assert.notEqual(configHash(otherToken, otherToken.services.app!), h);
    const otherContent = await load(FILE('a=2'), { TOKEN: 'abc' });
    assert.notEqual(configHash(otherContent, otherContent.services.app!), h);
  });
});
