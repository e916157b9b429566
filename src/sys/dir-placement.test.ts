import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeSpreadDirectories, spreadSubdirectories } from './dir-placement.js';

function attributes(dir: string): string {
  return execFileSync('lsattr', ['-d', dir], { encoding: 'utf8' }).split(' ')[0]!;
}

describe('spreadSubdirectories', () => {
  let dir: string;
  let image: string;
  let ext4: string;
  let tmpfs: string;
  const mounted: string[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-placement-'));
    image = join(dir, 'ext4.img');
    ext4 = join(dir, 'ext4');
    tmpfs = join(dir, 'tmpfs');
    // ext4 as this project's VMs have it (no journal), without flex groups so that each 8 MiB
    // block group stands on its own: 8 of them to see where directories land.
    execFileSync('truncate', ['-s', '64M', image]);
    execFileSync('mkfs.ext4', ['-q', '-F', '-b', '1024', '-O', '^has_journal,^flex_bg', image]);
    for (const [target, args] of [
      [ext4, ['-o', 'loop', image]],
      [tmpfs, ['-t', 'tmpfs', 'tmpfs']],
    ] as const) {
      mkdirSync(target);
      execFileSync('mount', [...args, target]);
      mounted.push(target);
    }
  });

  after(() => {
    for (const target of mounted) {
      try {
        execFileSync('umount', [target]);
      } catch {
        execFileSync('umount', ['-l', target]); // busy: detached, and gone once let go
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('sets the TOPDIR flag (chattr +T) on an ext4 directory, keeping its other flags', () => {
    const d = join(ext4, 'marked-once');
    mkdirSync(d);
    execFileSync('chattr', ['+d', d]); // nodump, to be kept
    assert.equal(spreadSubdirectories(d), true);
    assert.equal(spreadSubdirectories(d), true);
    assert.match(attributes(d), /T/);
    assert.match(attributes(d), /d/);
  });

  it('has ext4 spread the subdirectories of a marked directory over block groups; an unmarked one keeps them in its own', () => {
    const inodesPerGroup = Number(/Inodes per group:\s+(\d+)/.exec(execFileSync('dumpe2fs', ['-h', image], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))![1]);
    const groupOf = (path: string) => Math.floor((statSync(path).ino - 1) / inodesPerGroup);
    const groupsOfChildren = (parent: string) => {
      const groups = new Set<number>();
      for (let i = 0; i < 6; i++) {
        mkdirSync(join(parent, `c${i}`));
        groups.add(groupOf(join(parent, `c${i}`)));
      }
      return groups;
    };
    const plain = join(ext4, 'plain');
    const marked = join(ext4, 'marked');
    mkdirSync(plain);
    mkdirSync(marked);
    assert.equal(spreadSubdirectories(marked), true);
    assert.deepEqual([...groupsOfChildren(plain)], [groupOf(plain)]);
    assert.ok(groupsOfChildren(marked).size > 1, 'the subdirectories of a TOPDIR directory share one block group');
  });

  it('is only a hint: false, and nothing thrown, where the filesystem has no such flag (tmpfs)', () => {
    assert.equal(spreadSubdirectories(tmpfs), false);
  });

  it('makeSpreadDirectories makes the directories with their parents and marks each', async () => {
    const dirs = [join(ext4, 'a/containers'), join(ext4, 'b/bundles')];
    await makeSpreadDirectories(dirs);
    for (const d of dirs) assert.match(attributes(d), /T/);
  });
});
