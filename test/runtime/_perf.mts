import { setupEnv } from './helpers.ts';
import { generateSpec } from '../../src/runtime/spec/generate.ts';
import { detectHostInfo } from '../../src/runtime/spec/host-info.ts';
import { readUserDatabase } from '../../src/runtime/spec/user.ts';
import { FIXTURE_ROOTFS } from './helpers.ts';
const env = await setupEnv();
try {
  for (let i = 0; i < 8; i++) {
    const id = 'perf' + i;
    env.ids.add(id);
    const t0 = performance.now();
    const { spec } = generateSpec({ id, config: { Cmd: ['true'] }, hostConfig: {}, rootfsPath: FIXTURE_ROOTFS, users: readUserDatabase(FIXTURE_ROOTFS), cgroupParent: env.cgroupParent, host: detectHostInfo() });
    spec.root.readonly = true;
    const t1 = performance.now();
    await env.rt.create({ id, spec, logPath: env.dir + '/l' + i });
    const t2 = performance.now();
    const w = env.rt.wait(id);
    await env.rt.start(id);
    const t3 = performance.now();
    await w;
    const t4 = performance.now();
    await env.rt.delete(id);
    const t5 = performance.now();
    console.log(`spec ${(t1-t0).toFixed(1)} create ${(t2-t1).toFixed(1)} start ${(t3-t2).toFixed(1)} wait ${(t4-t3).toFixed(1)} delete ${(t5-t4).toFixed(1)} total ${(t5-t0).toFixed(1)}`);
  }
} finally { await env.cleanup(); }
