/**
 * Resolves Docker's `User` string (`name`, `uid`, `name:group`, `uid:gid`, ...) and
 * `GroupAdd` against the container's own /etc/passwd and /etc/group, the way runc's
 * libcontainer/user does for Docker: names must exist, numbers need not; a user given
 * without a group gets its passwd gid plus every group that lists it as a member.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidParameterError } from '../../util/errors.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** From passwd; `/` when the user is not listed there. */
  home: string;
}

const ID_MAX = 2 ** 31 - 1;

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 4) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0] ?? '', uid, gid, home: f[5] ?? '' });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3) continue;
    const gid = Number(f[2]);
    if (!Number.isInteger(gid)) continue;
    out.push({ name: f[0] ?? '', gid, members: (f[3] ?? '').split(',').filter(Boolean) });
  }
  return out;
}

function numericId(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  if (n > ID_MAX) throw new InvalidParameterError(`uids and gids must be in range 0-${ID_MAX}`);
  return n;
}

export interface UserDatabase {
  passwd: PasswdEntry[];
  group: GroupEntry[];
}

/** Reads the rootfs' passwd and group files; missing files are empty databases. */
export function readUserDatabase(rootfsPath: string): UserDatabase {
  const read = (rel: string): string => {
    try {
      return readFileSync(path.join(rootfsPath, rel), 'utf8');
    } catch {
      return '';
    }
  };
  return { passwd: parsePasswd(read('etc/passwd')), group: parseGroup(read('etc/group')) };
}

export function resolveUser(spec: string | undefined, groupAdd: readonly string[], db: UserDatabase): ResolvedUser {
  const [userPart = '', groupPart, ...rest] = (spec ?? '').split(':');
  if (rest.length > 0) throw new InvalidParameterError(`invalid user format: ${spec}`);

  let uid = 0;
  let gid = 0;
  let home = '/';
  let name: string | undefined;
  const wanted = userPart === '' ? '0' : userPart;
  const asNumber = numericId(wanted);
  const entry = db.passwd.find((p) => (asNumber === undefined ? p.name === wanted : p.uid === asNumber));
  if (entry) {
    uid = entry.uid;
    gid = entry.gid;
    home = entry.home || '/';
    name = entry.name;
  } else if (asNumber !== undefined) {
    uid = asNumber;
  } else {
    throw new InvalidParameterError(`unable to find user ${wanted}: no matching entries in passwd file`);
  }

  const lookupGroup = (g: string): number => {
    const n = numericId(g);
    if (n !== undefined) return n;
    const found = db.group.find((e) => e.name === g);
    if (!found) throw new InvalidParameterError(`unable to find group ${g}: no matching entries in group file`);
    return found.gid;
  };

  // The primary group is listed too, as Docker does (`id` shows it under groups=).
  const additional: number[] = [];
  if (groupPart !== undefined && groupPart !== '') {
    gid = lookupGroup(groupPart);
  } else if (name !== undefined) {
    for (const g of db.group) if (g.members.includes(name)) additional.push(g.gid);
  }
  for (const g of groupAdd) additional.push(lookupGroup(g));
  return { uid, gid, additionalGids: [...new Set([gid, ...additional])], home };
}

function hasPasswdEntry(uid: number, db: UserDatabase): boolean {
  return db.passwd.some((p) => p.uid === uid);
}

/**
 * The runtimes set HOME from the user's passwd entry when the environment has none; without
 * an entry runc sets `/` (as Docker users see it) and crun nothing. This adds runc's `/`, so
 * that both runtimes give the same environment.
 */
export function withHomeFallback(env: string[], uid: number, db: UserDatabase): string[] {
  if (env.some((e) => e.startsWith('HOME=')) || hasPasswdEntry(uid, db)) return env;
  return [...env, 'HOME=/'];
}

/** The environment without the HOME=/ that withHomeFallback gave `uid`: an exec as another user gets its own. */
export function withoutHomeFallback(env: string[], uid: number, db: UserDatabase): string[] {
  if (hasPasswdEntry(uid, db)) return env;
  return env.filter((e) => e !== 'HOME=/');
}
