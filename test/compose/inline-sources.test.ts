/**
 * `berth compose` with data written in the compose file or taken from the environment rather
 * than read from host files: secrets and configs from `environment:` / `content:` (copied into
 * the container before it starts, for `up` and `run`) and `build.dockerfile_inline`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compose, composeSuite, idsByService, ok, projectContainers } from './helpers.js';

const LOOP = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]`;

const suite = composeSuite(['--rmi', 'local']);
const project = suite.project;

/** `compose exec -T <service> <cmd…>` in the project; its stdout. */
async function exec(dir: string, name: string, service: string, cmd: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return ok(await compose(suite.daemon, dir, ['-p', name, 'exec', '-T', service, ...cmd], env), `exec ${cmd.join(' ')}`).stdout;
}

const SECRETS_FILE = `services:
  app:
    image: busybox
    command: ${LOOP}
    secrets:
      - token
      - source: from_file
        target: file_secret
    configs:
      - source: app_conf
        target: /etc/app/conf.d/app.conf
        uid: "1000"
        gid: "1001"
        mode: 0400
      - greeting
secrets:
  token:
    environment: API_TOKEN
  from_file:
    file: ./secret.txt
configs:
  app_conf:
    content: |
      listen = 8080
      name = \${APP_NAME}
  greeting:
    content: hello
`;

describe('compose secrets and configs from environment and content', () => {
  it('copies them in before start with the reference\'s target, owner and mode', async () => {
    const p = await project('inject', { 'compose.yaml': SECRETS_FILE, 'secret.txt': 'from a file' });
    const env = { API_TOKEN: 's3cr3t', APP_NAME: 'demo' };
    ok(await compose(suite.daemon, p.dir, ['-p', 'inject', 'up', '-d'], env), 'up');

    assert.equal(await exec(p.dir, 'inject', 'app', ['cat', '/run/secrets/token']), 's3cr3t');
    // The default mode is 0444, owned by root.
    assert.equal((await exec(p.dir, 'inject', 'app', ['stat', '-c', '%a %u %g', '/run/secrets/token'])).trim(), '444 0 0');
    assert.equal(await exec(p.dir, 'inject', 'app', ['cat', '/etc/app/conf.d/app.conf']), 'listen = 8080\nname = demo\n');
    assert.equal((await exec(p.dir, 'inject', 'app', ['stat', '-c', '%a %u %g', '/etc/app/conf.d/app.conf'])).trim(), '400 1000 1001');
    // Missing parents are created as directories.
    assert.equal((await exec(p.dir, 'inject', 'app', ['stat', '-c', '%F %a', '/etc/app/conf.d'])).trim(), 'directory 755');
    // A config's default target is /<name>; file: sources are still bind-mounted.
    assert.equal(await exec(p.dir, 'inject', 'app', ['cat', '/greeting']), 'hello');
    assert.equal(await exec(p.dir, 'inject', 'app', ['cat', '/run/secrets/file_secret']), 'from a file');
  });

  it('recreates the container when the content changes, and only then', async () => {
    const p = await project('inject-change', { 'compose.yaml': SECRETS_FILE, 'secret.txt': 'x' });
    ok(await compose(suite.daemon, p.dir, ['-p', 'inject-change', 'up', '-d'], { API_TOKEN: 'one', APP_NAME: 'a' }), 'up');
    const first = await idsByService(suite.daemon, 'inject-change');
    ok(await compose(suite.daemon, p.dir, ['-p', 'inject-change', 'up', '-d'], { API_TOKEN: 'one', APP_NAME: 'a' }), 'up again');
    assert.deepEqual(await idsByService(suite.daemon, 'inject-change'), first, 'nothing changed, nothing recreated');

    const r = ok(await compose(suite.daemon, p.dir, ['-p', 'inject-change', 'up', '-d', '-t', '0'], { API_TOKEN: 'two', APP_NAME: 'a' }), 'up with a new token');
    assert.match(r.stderr, /Container inject-change-app-1 {2}Recreated/);
    const second = await idsByService(suite.daemon, 'inject-change');
    assert.notDeepEqual(second.app, first.app);
    assert.equal(await exec(p.dir, 'inject-change', 'app', ['cat', '/run/secrets/token']), 'two');

    await p.write('compose.yaml', SECRETS_FILE.replace('content: hello', 'content: bonjour'));
    ok(await compose(suite.daemon, p.dir, ['-p', 'inject-change', 'up', '-d', '-t', '0'], { API_TOKEN: 'two', APP_NAME: 'a' }), 'up with new content');
    assert.notDeepEqual((await idsByService(suite.daemon, 'inject-change')).app, second.app);
    assert.equal(await exec(p.dir, 'inject-change', 'app', ['cat', '/greeting']), 'bonjour');
  });

  it('fails with the secret and the variable named when the variable is not set', async () => {
    const p = await project('inject-missing', { 'compose.yaml': SECRETS_FILE, 'secret.txt': 'x' });
    assert.equal(process.env.API_TOKEN, undefined);
    const r = await compose(suite.daemon, p.dir, ['-p', 'inject-missing', 'up', '-d'], { APP_NAME: 'a' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /secret "token".*environment variable "API_TOKEN".*not set/);
    assert.deepEqual(await projectContainers(suite.daemon, 'inject-missing'), [], 'no container is left without its secret');
  });

  it('gives one-off containers (run) the files too', async () => {
    const p = await project('inject-run', { 'compose.yaml': SECRETS_FILE, 'secret.txt': 'x' });
    const r = ok(await compose(suite.daemon, p.dir, ['-p', 'inject-run', 'run', '--rm', '-T', 'app', 'sh', '-c', 'cat /run/secrets/token; echo; stat -c "%a %u" /etc/app/conf.d/app.conf'], { API_TOKEN: 'for-run', APP_NAME: 'a' }), 'run');
    assert.equal(r.stdout, 'for-run\n400 1000\n');
  });

  it('refuses content secrets in a read-only service', async () => {
    const p = await project('inject-ro', { 'compose.yaml': `services:\n  app:\n    image: busybox\n    command: ${LOOP}\n    read_only: true\n    configs: [c]\nconfigs:\n  c:\n    content: x\n` });
    const r = await compose(suite.daemon, p.dir, ['-p', 'inject-ro', 'up', '-d']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /read-only root filesystem: config "c"/);
  });
});

describe('compose build.dockerfile_inline', () => {
  it('builds from the inline Dockerfile with the context\'s files, ignoring the context\'s Dockerfile', async () => {
    const file = (word: string) => `services:
  web:
    build:
      context: .
      dockerfile_inline: |
        FROM busybox
        COPY hello.txt /hello.txt
        RUN echo ${word} > /from-inline
    command: ${LOOP}
`;
    const p = await project('inline', {
      'compose.yaml': file('inline'),
      'hello.txt': 'from the context\n',
      // A Dockerfile in the context must not be the one used.
      Dockerfile: 'FROM busybox\nRUN echo wrong > /from-inline\n',
    });
    ok(await compose(suite.daemon, p.dir, ['-p', 'inline', 'up', '-d']), 'up');
    assert.equal(await exec(p.dir, 'inline', 'web', ['cat', '/from-inline', '/hello.txt']), 'inline\nfrom the context\n');

    await p.write('compose.yaml', file('rebuilt'));
    ok(await compose(suite.daemon, p.dir, ['-p', 'inline', 'up', '-d', '--build', '-t', '0']), 'up --build');
    assert.equal(await exec(p.dir, 'inline', 'web', ['cat', '/from-inline']), 'rebuilt\n');
  });
});
