import { randomBytes, createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { startRegistry } from '/work/main/src/registry/server/index.js';
async function main() {
  const r = await startRegistry({ addr: '127.0.0.1:0', root: mkdtempSync('/tmp/b1-') });
  const data = randomBytes(256 * 1024 * 1024);
  const d = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const res = await fetch(`${r.url}/v2/a/blobs/uploads/?digest=${d}`, { method: 'POST', body: data });
  console.log(res.status);
  for (let i = 0; i < 3; i++) console.log(execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{speed_download}\n', `${r.url}/v2/a/blobs/${d}`]).toString().trim());
  await r.close();
}
main();
