/**
 * docker's confirmation prompt: `<message>\nAre you sure you want to continue? [y/N] `, one
 * line read from stdin, "y" or "Y" confirms. Without a terminal the answer is whatever is
 * piped in; end of input means no, so nothing is ever removed without an explicit yes.
 */
import type { Cli } from './cli.js';

export async function confirm(cli: Cli, message: string): Promise<boolean> {
  cli.out(`${message}\nAre you sure you want to continue? [y/N] `);
  const answer = await readLine(cli);
  if (answer === undefined) cli.out('\n');
  return answer?.trim().toLowerCase() === 'y';
}

function readLine(cli: Cli): Promise<string | undefined> {
  return new Promise((resolve) => {
    // Loaded here: most commands never prompt, and every CLI start would pay for readline (~1 ms).
    const rl = process.getBuiltinModule('node:readline').createInterface({ input: cli.stdin, terminal: false });
    let done = false;
    rl.once('line', (line) => {
      done = true;
      rl.close();
      resolve(line);
    });
    rl.once('close', () => {
      if (!done) resolve(undefined);
    });
  });
}
