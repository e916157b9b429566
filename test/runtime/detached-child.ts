/**
 * Child process for detach.test.ts: creates and starts one container in the given layout,
 * prints `started <pid>` and then idles until it is killed.
 */
import { ConmonRuntime } from '../../src/runtime/container-runtime.js';
import { generateSpec } from '../../src/runtime/spec/generate.js';
import { detectHostInfo } from '../../src/runtime/spec/host-info.js';
import { readUserDatabase } from '../../src/runtime/spec/user.js';

const [runRoot, bundleRoot, id, rootfs, logPath, cgroupParent] = process.argv.slice(2) as [string, string, string, string, string, string];
const rt = await ConmonRuntime.open({ runRoot, bundleRoot });
const { spec } = generateSpec({
  id,
  config: { Cmd: ['sh', '-c', 'echo alive; while true; do sleep 1; done'] },
  hostConfig: {},
  rootfsPath: rootfs,
  users: readUserDatabase(rootfs),
  cgroupParent,
  host: detectHostInfo(),
});
const { pid } = await rt.create({ id, spec, logPath });
await rt.start(id);
process.stdout.write(`started ${pid}\n`);
setInterval(() => undefined, 1 << 30);
