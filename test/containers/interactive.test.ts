/** TTY sessions through the real docker CLI inside tmux: run -it, resize, detach, attach, exec -it. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { TestDaemon } from '../helpers/daemon.js';
import { Terminal, containerDaemon, docker, dockerOk, eventually } from './helpers.js';

let d: TestDaemon;
const terminals: Terminal[] = [];
const session = (what: string) => `berth-${what}-${randomBytes(3).toString('hex')}`;

before(async () => {
  d = await containerDaemon();
});
after(async () => {
  for (const t of terminals) await t.close();
  await d?.stop(); // removes every container first
});

async function open(name: string, args: string, size?: { width: number; height: number }): Promise<Terminal> {
  const t = await Terminal.open(d, session(name), args, size);
  terminals.push(t);
  return t;
}

/** Types `line` until the screen shows `answer`: an attach is live only once the shell answers it. */
async function untilAnswered(t: Terminal, line: string, answer: RegExp): Promise<void> {
  await eventually('the attach to be live', async () => {
    await t.type(line);
    await new Promise((r) => setTimeout(r, 200));
    return answer.test(await t.screen()) ? true : undefined;
  });
}

test('docker run -it: a shell on a TTY that follows resizes, detaches with ctrl-p ctrl-q, and reattaches', async () => {
  const t = await open('run', 'run -it --name tty busybox sh', { width: 100, height: 30 });
  await t.waitFor(/^\/ #/m);
  await t.type('echo $((6*7))\n');
  await t.waitFor(/^42\s*$/m);
  await t.type('stty size\n');
  await t.waitFor(/^30 100\s*$/m);
  await t.resize(120, 40);
  // The CLI sends the new size on SIGWINCH; ask until the shell sees it.
  await eventually('the resized terminal', async () => {
    await t.type('stty size\n');
    await new Promise((r) => setTimeout(r, 200));
    return /^40 120\s*$/m.test(await t.screen()) ? true : undefined;
  });
  await t.keys('C-p', 'C-q');
  await t.waitFor(/\[exited 0\]/);
  assert.equal((await dockerOk(d, ['inspect', '-f', '{{.State.Running}}', 'tty'])).trim(), 'true');

  const a = await open('attach', 'attach tty');
  await untilAnswered(a, 'echo again$((1+1))\n', /^again2\s*$/m);
  await a.type('exit 7\n');
  await a.waitFor(/\[exited 7\]/);
  assert.equal((await dockerOk(d, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'tty'])).trim(), 'exited 7');
});

test('--detach-keys replaces ctrl-p ctrl-q, for run -it and for attach', async () => {
  const t = await open('keys', 'run -it --detach-keys ctrl-a,x --name keys busybox sh');
  await t.waitFor(/^\/ #/m);
  // The default sequence is now plain input: the session stays and the shell still answers.
  await t.keys('C-p', 'C-q');
  await t.type('echo still$((2+3))\n');
  await t.waitFor(/^still5\s*$/m);
  await t.keys('C-a', 'x');
  await t.waitFor(/\[exited 0\]/);
  assert.equal((await dockerOk(d, ['inspect', '-f', '{{.State.Running}}', 'keys'])).trim(), 'true');

  const a = await open('keys-attach', 'attach --detach-keys ctrl-e,e keys');
  await untilAnswered(a, 'echo back$((1+2))\n', /^back3\s*$/m);
  await a.keys('C-e', 'e');
  // As against dockerd: `docker attach` exits 1 after a detach, where `run -it` exits 0.
  await a.waitFor(/read escape sequence\s*\n\[exited 1\]/);
  assert.equal((await dockerOk(d, ['inspect', '-f', '{{.State.Running}}', 'keys'])).trim(), 'true');
  await docker(d, ['rm', '-f', 'keys']);
});

test('docker exec -it runs an interactive shell in a running container', async () => {
  await dockerOk(d, ['run', '-d', '--name', 'ex-tty', 'busybox', 'sleep', '1000']);
  const t = await open('exec', 'exec -it ex-tty sh', { width: 90, height: 25 });
  await t.waitFor(/^\/ #/m);
  await t.type('echo $((6*7)); stty size\n');
  await t.waitFor(/^42\s*\n25 90\s*$/m);
  await t.type('exit 4\n');
  await t.waitFor(/\[exited 4\]/);
  assert.equal((await dockerOk(d, ['inspect', '-f', '{{.State.Running}}', 'ex-tty'])).trim(), 'true');
  await docker(d, ['rm', '-f', 'ex-tty']);
});
