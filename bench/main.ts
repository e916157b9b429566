/**
 * `npm run bench`: every benchmark, peers side by side, medians and ratios printed.
 * `npm run bench -- containers registry` runs only those.
 */
const suites: Record<string, () => Promise<{ main: () => Promise<void> }>> = {
  containers: () => import('./containers.js'),
  network: () => import('./network.js'),
  build: () => import('./build.js'),
  registry: () => import('./registry.js'),
  distribution: () => import('./distribution.js'),
  ops: () => import('./ops.js'),
  compose: () => import('./compose.js'),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const [name, load] of Object.entries(suites)) {
  if (wanted.length && !wanted.includes(name)) continue;
  console.log(`\n# ${name}`);
  try {
    await (await load()).main();
  } catch (err) {
    console.error(`${name} benchmark failed: ${(err as Error).stack ?? err}`);
    process.exitCode = 1;
  }
}
