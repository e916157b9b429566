import { startTestDaemon, importBusybox } from '../helpers/daemon.js';
import { writeFileSync } from 'node:fs';
const d = await startTestDaemon({ keep: true, extraArgs: process.argv.slice(2) });
await importBusybox(d.client);
writeFileSync('/tmp/ops/env', `export DOCKER_HOST=${d.host}\nexport BERTHD_PID=${d.process.pid}\nexport ROOT=${d.root}\n`);
console.log(d.host, d.process.pid);
process.on('SIGTERM', async () => { await d.stop(); process.exit(0); });
setInterval(() => {}, 1000);
