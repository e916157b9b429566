import { setupEnv, collect } from './helpers.ts';
const env = await setupEnv();
try {
  const c = await env.create({ config: { Cmd: ['sleep', '30'] } });
  await env.rt.start(c.id);
  const t0 = performance.now();
  const s = await env.rt.exec(c.id, { execId: 'e1', cmd: ['sh', '-c', 'id; echo oops >&2; exit 7'], user: 'user', attachStdout: true, attachStderr: true });
  const out = collect(s.io!.stdout), err = collect(s.io!.stderr);
  console.log(await s.exit, await out, await err, (performance.now() - t0).toFixed(1));
  const d = await env.rt.exec(c.id, { execId: 'e2', cmd: ['sh', '-c', 'exit 4'] });
  console.log('detached', await d.exit);
  const t = await env.rt.exec(c.id, { execId: 'e3', cmd: ['sh', '-c', 'read x; echo got $x; tty'], tty: true, attachStdin: true, attachStdout: true });
  const tout = collect(t.io!.stdout);
  t.io!.stdin.write('zz\r');
  console.log('tty', await t.exit, JSON.stringify(await tout));
  console.log(await env.rt.recover(c.id));
  await env.rt.kill(c.id, 'KILL');
  console.log(await env.rt.wait(c.id), await env.rt.recover(c.id));
} finally {
  await env.cleanup();
}
