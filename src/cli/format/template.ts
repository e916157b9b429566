/**
 * A small implementation of Go's text/template, enough for docker-style `--format` strings:
 * fields and chains, variables, pipelines, function calls, parenthesised pipelines, if / else if /
 * range / with / else / end, break / continue, comments and trim markers. Values are JSON-like;
 * they print the way Go's fmt prints them (see gofmt.ts).
 */
import { NO_VALUE, goSprint, goSprintMany, goSprintf, isTrue, typeName, type TemplateValue } from './gofmt.js';
import { TemplateError, lex, type Token } from './template-lex.js';

export { TemplateError } from './template-lex.js';

type Arg =
  | { kind: 'field'; chain: string[] } // .A.B (relative to dot)
  | { kind: 'dot' }
  | { kind: 'variable'; name: string; chain: string[] }
  | { kind: 'ident'; name: string }
  | { kind: 'literal'; value: TemplateValue }
  | { kind: 'pipe'; pipe: Pipe; chain: string[] };

interface Command {
  args: Arg[];
}

interface Pipe {
  decl: string[];
  /** `=` rather than `:=` */
  assign: boolean;
  cmds: Command[];
}

interface ControlNode {
  kind: 'if' | 'with' | 'range';
  pipe: Pipe;
  list: Node[];
  elseList?: Node[];
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipe }
  | ControlNode
  | { kind: 'break' | 'continue' };

export type TemplateFunc = (...args: TemplateValue[]) => TemplateValue;

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token {
    return this.toks[this.i]!;
  }
  private next(): Token {
    return this.toks[this.i++]!;
  }
  private expect(kind: Token['kind'], context: string): Token {
    const t = this.next();
    if (t.kind !== kind) throw new TemplateError(`unexpected "${t.value || t.kind}" in ${context}`);
    return t;
  }

  /** Parses nodes until one of `stops` keywords (returned) or EOF. */
  parseList(stops: string[]): { nodes: Node[]; stop?: string } {
    const nodes: Node[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') {
        if (stops.length) throw new TemplateError(`unexpected EOF`);
        return { nodes };
      }
      if (t.kind === 'text') {
        nodes.push({ kind: 'text', text: this.next().value });
        continue;
      }
      this.expect('open', 'template');
      const kw = this.peek();
      if (kw.kind === 'ident' && stops.includes(kw.value)) {
        this.next();
        return { nodes, stop: kw.value };
      }
      if (kw.kind === 'ident' && ['if', 'with', 'range'].includes(kw.value)) {
        this.next();
        nodes.push(this.parseControl(kw.value as 'if' | 'with' | 'range'));
        continue;
      }
      if (kw.kind === 'ident' && (kw.value === 'break' || kw.value === 'continue')) {
        this.next();
        this.expect('close', kw.value);
        nodes.push({ kind: kw.value });
        continue;
      }
      if (kw.kind === 'ident' && ['end', 'else'].includes(kw.value)) throw new TemplateError(`unexpected {{${kw.value}}}`);
      if (kw.kind === 'ident' && ['define', 'template', 'block'].includes(kw.value)) throw new TemplateError(`{{${kw.value}}} is not supported`);
      nodes.push({ kind: 'action', pipe: this.parsePipe('command') });
    }
  }

  private parseControl(kind: 'if' | 'with' | 'range'): Node {
    const pipe = this.parsePipe(kind);
    const body = this.parseList(['end', 'else']);
    if (body.stop === 'end') {
      this.expect('close', 'end');
      return { kind, pipe, list: body.nodes };
    }
    // {{else}} or {{else if ...}} / {{else with ...}}: the latter nests a control node.
    const t = this.peek();
    if (t.kind === 'ident' && (t.value === 'if' || t.value === 'with') && kind !== 'range') {
      this.next();
      const nested = this.parseControl(t.value as 'if' | 'with');
      return { kind, pipe, list: body.nodes, elseList: [nested] };
    }
    this.expect('close', 'else');
    const elseBody = this.parseList(['end']);
    this.expect('close', 'end');
    return { kind, pipe, list: body.nodes, elseList: elseBody.nodes };
  }

  /** Parses a pipeline up to `}}` (or `)` when nested). */
  parsePipe(context: string, nested = false): Pipe {
    const pipe: Pipe = { decl: [], assign: false, cmds: [] };
    // Declarations: $x := ..., $i, $e := ... (range), $x = ...
    const save = this.i;
    const vars: string[] = [];
    while (this.peek().kind === 'variable') {
      vars.push(this.next().value);
      if (this.peek().kind === 'comma') {
        this.next();
        continue;
      }
      break;
    }
    const op = this.peek();
    if (vars.length && (op.kind === 'declare' || op.kind === 'assign')) {
      this.next();
      pipe.decl = vars;
      pipe.assign = op.kind === 'assign';
    } else this.i = save;

    let cmd: Command = { args: [] };
    for (;;) {
      const t = this.peek();
      if (t.kind === 'close' && !nested) {
        this.next();
        break;
      }
      if (t.kind === 'rparen' && nested) {
        this.next();
        break;
      }
      if (t.kind === 'eof' || t.kind === 'close' || t.kind === 'rparen') throw new TemplateError(`unexpected "${t.value || t.kind}" in ${context}`);
      if (t.kind === 'pipe') {
        this.next();
        if (!cmd.args.length) throw new TemplateError(`missing command before "|" in ${context}`);
        pipe.cmds.push(cmd);
        cmd = { args: [] };
        continue;
      }
      cmd.args.push(this.parseArg(context));
    }
    if (!cmd.args.length) throw new TemplateError(`missing value for ${context}`);
    pipe.cmds.push(cmd);
    return pipe;
  }

  private parseArg(context: string): Arg {
    const t = this.next();
    switch (t.kind) {
      case 'field': {
        const chain = [t.value];
        while (this.peek().kind === 'field' && this.peek().pos === this.toks[this.i - 1]!.pos + this.toks[this.i - 1]!.value.length + 1) chain.push(this.next().value);
        return { kind: 'field', chain };
      }
      case 'dot':
        return { kind: 'dot' };
      case 'variable': {
        const [name, ...chain] = t.value.split('.');
        return { kind: 'variable', name: name!, chain };
      }
      case 'ident':
        return { kind: 'ident', name: t.value };
      case 'string':
        return { kind: 'literal', value: t.value };
      case 'number':
        return { kind: 'literal', value: Number(t.value) };
      case 'bool':
        return { kind: 'literal', value: t.value === 'true' };
      case 'nil':
        return { kind: 'literal', value: null };
      case 'lparen': {
        const pipe = this.parsePipe(context, true);
        const close = this.toks[this.i - 1]!;
        const chain: string[] = [];
        let end = close.pos + 1;
        while (this.peek().kind === 'field' && this.peek().pos === end) {
          const f = this.next();
          chain.push(f.value);
          end = f.pos + f.value.length + 1;
        }
        return { kind: 'pipe', pipe, chain };
      }
      default:
        throw new TemplateError(`unexpected "${t.value || t.kind}" in ${context}`);
    }
  }
}

class BreakSignal {}
class ContinueSignal {}

/** Looks up one field of a value the way templates do on maps and structs. */
function field(value: TemplateValue, name: string): TemplateValue {
  if (value === NO_VALUE || value === null || value === undefined) {
    throw new TemplateError(`nil pointer evaluating interface {}.${name}`);
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    if (!Object.prototype.hasOwnProperty.call(obj, name)) return NO_VALUE;
    const v = obj[name];
    return typeof v === 'function' ? (v as () => TemplateValue).call(obj) : v;
  }
  throw new TemplateError(`can't evaluate field ${name} in type ${typeName(value)}`);
}

type Scope = Array<{ name: string; value: TemplateValue }>;

export interface TemplateOptions {
  funcs?: Record<string, TemplateFunc>;
}

/** A parsed template; `execute` renders it against one value. */
export class Template {
  private readonly nodes: Node[];
  private readonly funcs: Record<string, TemplateFunc>;

  constructor(source: string, opts: TemplateOptions = {}) {
    this.funcs = { ...builtinFuncs(), ...opts.funcs };
    this.nodes = new Parser(lex(source)).parseList([]).nodes;
    this.checkFuncs(this.nodes);
  }

  /** Go reports unknown functions at parse time: `function "foo" not defined`. */
  private checkFuncs(nodes: Node[]): void {
    const checkPipe = (p: Pipe): void => {
      for (const c of p.cmds)
        for (const a of c.args) {
          if (a.kind === 'ident' && !(a.name in this.funcs) && !['and', 'or'].includes(a.name)) throw new TemplateError(`function "${a.name}" not defined`);
          if (a.kind === 'pipe') checkPipe(a.pipe);
        }
    };
    for (const n of nodes) {
      if (n.kind === 'action') checkPipe(n.pipe);
      if (n.kind === 'if' || n.kind === 'with' || n.kind === 'range') {
        checkPipe(n.pipe);
        this.checkFuncs(n.list);
        if (n.elseList) this.checkFuncs(n.elseList);
      }
    }
  }

  execute(data: TemplateValue): string {
    const out: string[] = [];
    const scope: Scope = [{ name: '$', value: data }];
    this.walk(this.nodes, data, scope, out);
    return out.join('');
  }

  private walk(nodes: Node[], dot: TemplateValue, scope: Scope, out: string[]): void {
    for (const n of nodes) {
      switch (n.kind) {
        case 'text':
          out.push(n.text);
          break;
        case 'action': {
          const v = this.evalPipe(n.pipe, dot, scope);
          if (!n.pipe.decl.length) out.push(goSprint(v));
          break;
        }
        case 'if':
        case 'with': {
          const mark = scope.length;
          const v = this.evalPipe(n.pipe, dot, scope);
          if (isTrue(v)) this.walk(n.list, n.kind === 'with' ? v : dot, scope, out);
          else if (n.elseList) this.walk(n.elseList, dot, scope, out);
          scope.length = mark;
          break;
        }
        case 'range':
          this.range(n, dot, scope, out);
          break;
        case 'break':
          throw new BreakSignal();
        case 'continue':
          throw new ContinueSignal();
      }
    }
  }

  private range(n: ControlNode, dot: TemplateValue, scope: Scope, out: string[]): void {
    const mark = scope.length;
    const v = this.evalPipe({ ...n.pipe, decl: [] }, dot, scope);
    let items: Array<[TemplateValue, TemplateValue]>;
    if (v === null || v === undefined || v === NO_VALUE) items = [];
    else if (Array.isArray(v)) items = v.map((e, i) => [i, e]);
    else if (typeof v === 'number' && Number.isInteger(v)) items = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
    else if (typeof v === 'object') items = Object.keys(v as object).sort().map((k) => [k, (v as Record<string, unknown>)[k]]);
    else throw new TemplateError(`range can't iterate over ${goSprint(v)}`);
    if (!items.length) {
      if (n.elseList) this.walk(n.elseList, dot, scope, out);
      return;
    }
    for (const [key, elem] of items) {
      scope.length = mark;
      if (n.pipe.decl.length === 1) scope.push({ name: n.pipe.decl[0]!, value: elem });
      if (n.pipe.decl.length === 2) scope.push({ name: n.pipe.decl[0]!, value: key }, { name: n.pipe.decl[1]!, value: elem });
      try {
        this.walk(n.list, elem, scope, out);
      } catch (e) {
        if (e instanceof BreakSignal) break;
        if (e instanceof ContinueSignal) continue;
        throw e;
      }
    }
    scope.length = mark;
  }

  private lookupVar(name: string, scope: Scope): TemplateValue {
    for (let i = scope.length - 1; i >= 0; i--) if (scope[i]!.name === name) return scope[i]!.value;
    throw new TemplateError(`undefined variable: ${name}`);
  }

  private evalPipe(pipe: Pipe, dot: TemplateValue, scope: Scope): TemplateValue {
    let value: TemplateValue = NO_VALUE;
    let first = true;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(cmd, dot, scope, first ? undefined : { value });
      first = false;
    }
    for (const name of pipe.decl) {
      if (pipe.assign) {
        const slot = [...scope].reverse().find((s) => s.name === name);
        if (!slot) throw new TemplateError(`undefined variable: ${name}`);
        slot.value = value;
      } else scope.push({ name, value });
    }
    return value;
  }

  private evalCommand(cmd: Command, dot: TemplateValue, scope: Scope, piped?: { value: TemplateValue }): TemplateValue {
    const [head, ...rest] = cmd.args;
    if (head!.kind === 'ident') {
      const args = rest.map((a) => this.evalArg(a, dot, scope));
      if (piped) args.push(piped.value);
      return this.call(head!.name, args, rest, dot, scope, piped);
    }
    if (rest.length || piped) {
      // A method with arguments, like docker's `{{.Label "com.example"}}`: the last field is a function.
      if (head!.kind === 'field' && head!.chain.length) {
        const owner = head!.chain.slice(0, -1).reduce(field, dot);
        const method = owner && typeof owner === 'object' ? (owner as Record<string, unknown>)[head!.chain.at(-1)!] : undefined;
        if (typeof method === 'function') {
          const args = rest.map((a) => this.evalArg(a, dot, scope));
          if (piped) args.push(piped.value);
          return (method as (...a: TemplateValue[]) => TemplateValue).apply(owner, args);
        }
      }
      throw new TemplateError(`can't give argument to non-function ${describe(head!)}`);
    }
    return this.evalArg(head!, dot, scope);
  }

  private call(name: string, args: TemplateValue[], raw: Arg[], dot: TemplateValue, scope: Scope, piped?: { value: TemplateValue }): TemplateValue {
    // and/or short-circuit in Go: evaluate lazily.
    if (name === 'and' || name === 'or') {
      const thunks: Array<() => TemplateValue> = raw.map((a) => () => this.evalArg(a, dot, scope));
      if (piped) thunks.push(() => piped.value);
      if (!thunks.length) throw new TemplateError(`wrong number of args for ${name}: want at least 1 got 0`);
      let v: TemplateValue = NO_VALUE;
      for (const t of thunks) {
        v = t();
        if (name === 'and' ? !isTrue(v) : isTrue(v)) return v;
      }
      return v;
    }
    const fn = this.funcs[name];
    if (!fn) throw new TemplateError(`function "${name}" not defined`);
    return fn(...args.map((a) => (a === NO_VALUE ? null : a)));
  }

  private evalArg(a: Arg, dot: TemplateValue, scope: Scope): TemplateValue {
    switch (a.kind) {
      case 'dot':
        return dot;
      case 'literal':
        return a.value;
      case 'field':
        return a.chain.reduce(field, dot);
      case 'variable':
        return a.chain.reduce(field, this.lookupVar(a.name, scope));
      case 'pipe':
        return a.chain.reduce(field, this.evalPipe(a.pipe, dot, scope));
      case 'ident':
        return this.call(a.name, [], [], dot, scope);
    }
  }
}

function describe(a: Arg): string {
  if (a.kind === 'field') return `.${a.chain.join('.')}`;
  if (a.kind === 'variable') return [a.name, ...a.chain].join('.');
  if (a.kind === 'literal') return goSprint(a.value);
  return a.kind;
}

function asString(fn: string, v: TemplateValue): string {
  if (typeof v !== 'string') throw new TemplateError(`error calling ${fn}: wrong type for value; expected string; got ${typeName(v)}`);
  return v;
}

function asInt(fn: string, v: TemplateValue): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TemplateError(`error calling ${fn}: wrong type for value; expected int; got ${typeName(v)}`);
  return v;
}

function compare(fn: string, a: TemplateValue, b: TemplateValue): number {
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) {
    if (fn === 'eq' || fn === 'ne') {
      if (a === null || b === null || a === undefined || b === undefined) return a == b ? 0 : 1;
      if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : 1;
    }
    throw new TemplateError(`error calling ${fn}: incompatible types for comparison`);
  }
  return (a as number | string) < (b as number | string) ? -1 : (a as number | string) > (b as number | string) ? 1 : 0;
}

/** Go's builtins plus the docker CLI's template functions (cli/templates). */
function builtinFuncs(): Record<string, TemplateFunc> {
  return {
    not: (v) => !isTrue(v),
    len: (v) => {
      if (typeof v === 'string') return Buffer.byteLength(v);
      if (Array.isArray(v)) return v.length;
      if (v && typeof v === 'object') return Object.keys(v).length;
      throw new TemplateError(`error calling len: len of type ${typeName(v)}`);
    },
    index: (v, ...keys) => {
      let cur = v;
      for (const k of keys) {
        if (Array.isArray(cur)) {
          const i = asInt('index', k);
          if (i < 0 || i >= cur.length) throw new TemplateError(`error calling index: index out of range: ${i}`);
          cur = cur[i];
        } else if (cur && typeof cur === 'object') cur = (cur as Record<string, unknown>)[goSprint(k)] ?? null;
        else if (cur === null) cur = null;
        else throw new TemplateError(`error calling index: can't index item of type ${typeName(cur)}`);
      }
      return cur;
    },
    slice: (v, ...idx) => {
      const [from = 0, to] = idx.map((i) => asInt('slice', i));
      if (typeof v === 'string' || Array.isArray(v)) return v.slice(from, to);
      throw new TemplateError(`error calling slice: can't slice item of type ${typeName(v)}`);
    },
    print: (...args) => goSprintMany(args),
    println: (...args) => `${args.map(goSprint).join(' ')}\n`,
    printf: (fmt, ...args) => goSprintf(asString('printf', fmt), args),
    eq: (a, ...bs) => {
      if (!bs.length) throw new TemplateError('missing argument for comparison');
      return bs.some((b) => compare('eq', a, b) === 0);
    },
    ne: (a, b) => compare('ne', a, b) !== 0,
    lt: (a, b) => compare('lt', a, b) < 0,
    le: (a, b) => compare('le', a, b) <= 0,
    gt: (a, b) => compare('gt', a, b) > 0,
    ge: (a, b) => compare('ge', a, b) >= 0,
    html: (...args) => goSprintMany(args).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!),
    urlquery: (...args) => encodeURIComponent(goSprintMany(args)).replace(/%20/g, '+'),
    js: (...args) => goSprintMany(args).replace(/[\\'"<>&=]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`),
    // docker's additions (cli/templates/templates.go)
    json: (v) => JSON.stringify(v === undefined ? null : v) ?? 'null',
    split: (s, sep) => asString('split', s).split(asString('split', sep)),
    join: (list, sep) => {
      if (!Array.isArray(list)) throw new TemplateError(`error calling join: wrong type for value; expected []string; got ${typeName(list)}`);
      return list.map(goSprint).join(asString('join', sep));
    },
    title: (s) => asString('title', s).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase()),
    lower: (s) => asString('lower', s).toLowerCase(),
    upper: (s) => asString('upper', s).toUpperCase(),
    pad: (s, prefix, suffix) => {
      const src = asString('pad', s);
      return src === '' ? src : ' '.repeat(asInt('pad', prefix)) + src + ' '.repeat(asInt('pad', suffix));
    },
    truncate: (s, n) => {
      const src = asString('truncate', s);
      const len = asInt('truncate', n);
      return src.length < len ? src : src.slice(0, len);
    },
  };
}

/** Parses once, renders many: `compileTemplate(f).execute(obj)`. */
export function compileTemplate(source: string, opts: TemplateOptions = {}): Template {
  return new Template(source, opts);
}
