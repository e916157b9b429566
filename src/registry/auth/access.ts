/**
 * Access rules: who may do what to which repositories.
 *   { user: 'alice' | '*' | '+', repository: 'team/**' | 'library/*' | 'exact', actions: ['pull','push','delete'] }
 * `*` matches everyone including anonymous clients, `+` any authenticated user. In a
 * repository glob `*` matches within one path segment and `**` across segments. Rules add up;
 * nothing is allowed unless some rule allows it.
 */
export type Action = 'pull' | 'push' | 'delete';

export interface AccessRule {
  user: string;
  repository: string;
  actions: Action[];
}

export interface AccessScope {
  type: 'repository' | 'registry';
  name: string;
  actions: string[];
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export class AccessPolicy {
  private readonly compiled: Array<{ rule: AccessRule; re: RegExp }>;

  constructor(rules: AccessRule[]) {
    this.compiled = rules.map((rule) => ({ rule, re: globToRegExp(rule.repository) }));
  }

  /** The subset of `wanted` actions that `user` (undefined = anonymous) may do on `repo`. */
  allowed(user: string | undefined, repo: string, wanted: readonly string[]): Action[] {
    const granted = new Set<Action>();
    for (const { rule, re } of this.compiled) {
      const who = rule.user === '*' || (rule.user === '+' && user !== undefined) || rule.user === user;
      if (!who || !re.test(repo)) continue;
      for (const a of rule.actions) granted.add(a);
    }
    // Docker clients ask for `*` to mean everything they are allowed.
    return wanted.flatMap((w) => (w === '*' ? [...granted] : granted.has(w as Action) ? [w as Action] : []));
  }
}

/** Parses `repository:name:pull,push` scopes (space separated, possibly repeated). */
export function parseScopes(values: string[]): AccessScope[] {
  const out: AccessScope[] = [];
  for (const v of values) {
    for (const part of v.split(' ')) {
      if (!part) continue;
      const last = part.lastIndexOf(':');
      const first = part.indexOf(':');
      if (first < 0 || last === first) continue;
      const type = part.slice(0, first);
      if (type !== 'repository' && type !== 'registry') continue;
      out.push({ type, name: part.slice(first + 1, last), actions: part.slice(last + 1).split(',').filter(Boolean) });
    }
  }
  return out;
}
