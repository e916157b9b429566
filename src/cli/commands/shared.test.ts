import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { addCommand, defineBeforeHelp, defineCommand } from './shared.js';

/** A root with `group` → `leaf` (alias `lf`) and a top-level `top`, as the CLI builds them. */
function tree(ran: string[]) {
  const program = new Command('berth');
  defineBeforeHelp(program);
  program.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  const group = program.command('group').description('A group');
  const leaf = addCommand(
    group,
    'leaf',
    (cmd) =>
      cmd
        .description('A leaf')
        .argument('<NAME>')
        .option('-n, --number <int>', 'A number')
        .action((name: string, o: { number?: string }) => void ran.push(`leaf ${name} ${o.number}`)),
    ['lf'],
  );
  const top = addCommand(program, 'top', (cmd) => cmd.description('At the top').option('--flag', 'A flag').action(() => void ran.push('top')));
  return { program, group, leaf, top };
}

describe('commands defined when first needed', () => {
  it('are found by name and alias before they are defined', () => {
    const { leaf, top } = tree([]);
    assert.deepEqual(leaf.aliases(), ['lf']);
    assert.equal(leaf.options.length, 0);
    assert.equal(top.description(), '');
  });

  it('are defined when dispatched to, their flags and arguments parsed', async () => {
    const ran: string[] = [];
    const { program, top } = tree(ran);
    await program.parseAsync(['node', 'berth', 'group', 'lf', '-n', '7', 'x']);
    assert.deepEqual(ran, ['leaf x 7']);
    assert.equal(top.options.length, 0, 'a command not run stays undefined');
  });

  it('reject an unknown flag of the command being run', async () => {
    const { program } = tree([]);
    await assert.rejects(program.parseAsync(['node', 'berth', 'top', '--flga']), { code: 'commander.unknownOption' });
  });

  it('are defined before a help text lists them', () => {
    const { program, group } = tree([]);
    assert.match(program.helpInformation(), /top \[options\]\s+At the top/);
    assert.match(group.helpInformation(), /leaf\|lf \[options\] <NAME>\s+A leaf/);
  });

  it('show their own help through `help <command>`', async () => {
    const { program, top } = tree([]);
    let out = '';
    program.configureOutput({ writeOut: (s) => void (out += s) });
    top.configureOutput({ writeOut: (s) => void (out += s) });
    await assert.rejects(program.parseAsync(['node', 'berth', 'help', 'top']), { code: 'commander.help' });
    assert.match(out, /Usage: berth top \[options\]/);
    assert.match(out, /--flag\s+A flag/);
  });

  it('are all defined by defineCommand(root, true)', () => {
    const { program, leaf, top } = tree([]);
    defineCommand(program, true);
    assert.deepEqual(
      leaf.options.map((o) => o.long),
      ['--number'],
    );
    assert.deepEqual(
      top.options.map((o) => o.long),
      ['--flag'],
    );
  });
});
