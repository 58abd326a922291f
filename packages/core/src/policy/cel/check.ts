// What @bufbuild/cel's public API does not check before evaluation: that a rule can only be a bool,
// that every function it calls exists, and that every constant pattern compiles. Variables are
// dynamic (JSON), so a field access is `dyn` and is checked when evaluated; anything statically
// known not to be a bool (a number, a string, a list, arithmetic, size()…) is refused at load.
import type { CelEnv } from '@bufbuild/cel';
import { CelScalar, parse } from '@bufbuild/cel';
import { patternProblem } from './regex.js';

type Expr = ReturnType<typeof parse>['expr'];
type Kind = 'bool' | 'dyn' | 'other';

/** Operators the planner implements itself rather than through the function resolver. */
const SPECIAL: Readonly<Record<string, Kind>> = {
  '_&&_': 'bool',
  '_||_': 'bool',
  '@not_strictly_false': 'bool',
  '_[_]': 'dyn',
};

export interface CheckResult {
  readonly problems: string[];
  /** Identifiers read from the outside: the variables the expression needs. */
  readonly variables: Set<string>;
}

function join(a: Kind, b: Kind): Kind {
  if (a === b) return a;
  return a === 'other' || b === 'other' ? 'other' : 'dyn';
}

function functionKind(env: CelEnv, name: string, out: CheckResult): Kind {
  const special = SPECIAL[name];
  if (special !== undefined) return special;
  const group = env.funcs.find(name);
  if (group === undefined) {
    out.problems.push(`calls unknown function ${name}()`);
    return 'dyn';
  }
  const results = [...group].map((f) =>
    f.result === CelScalar.BOOL ? 'bool' : f.result === CelScalar.DYN ? 'dyn' : 'other',
  );
  return results.reduce<Kind>((a, b) => join(a, b), results[0] ?? 'dyn');
}

function kindOf(
  env: CelEnv,
  expr: Expr | undefined,
  scope: ReadonlyMap<string, Kind>,
  out: CheckResult,
): Kind {
  const k = expr?.exprKind;
  switch (k?.case) {
    case 'constExpr':
      return k.value.constantKind.case === 'boolValue' ? 'bool' : 'other';
    case 'identExpr': {
      const local = scope.get(k.value.name);
      if (local !== undefined) return local;
      out.variables.add(k.value.name);
      return 'dyn';
    }
    case 'selectExpr':
      kindOf(env, k.value.operand, scope, out);
      return k.value.testOnly ? 'bool' : 'dyn';
    case 'callExpr': {
      const { function: name, args, target } = k.value;
      if (target !== undefined) kindOf(env, target, scope, out);
      const argKinds = args.map((a) => kindOf(env, a, scope, out));
      if (name === 'matches') {
        const pattern = args[0]?.exprKind;
        if (pattern?.case === 'constExpr' && pattern.value.constantKind.case === 'stringValue') {
          const bad = patternProblem(pattern.value.constantKind.value);
          if (bad !== undefined) out.problems.push(`has an invalid RE2 pattern: ${bad}`);
        }
      }
      if (name === '_?_:_') return join(argKinds[1] ?? 'dyn', argKinds[2] ?? 'dyn');
      return functionKind(env, name, out);
    }
    case 'listExpr':
      k.value.elements.forEach((e) => kindOf(env, e, scope, out));
      return 'other';
    case 'structExpr':
      k.value.entries.forEach((e) => {
        if (e.keyKind.case === 'mapKey') kindOf(env, e.keyKind.value, scope, out);
        kindOf(env, e.value, scope, out);
      });
      return 'other';
    case 'comprehensionExpr': {
      const c = k.value;
      kindOf(env, c.iterRange, scope, out);
      const accu = kindOf(env, c.accuInit, scope, out);
      const inner = new Map(scope);
      inner.set(c.accuVar, accu);
      inner.set(c.iterVar, 'dyn');
      if (c.iterVar2 !== '') inner.set(c.iterVar2, 'dyn');
      kindOf(env, c.loopCondition, inner, out);
      kindOf(env, c.loopStep, inner, out);
      const resultScope = new Map(scope);
      resultScope.set(c.accuVar, accu);
      return kindOf(env, c.result, resultScope, out);
    }
    default:
      return 'dyn';
  }
}

/** Checks a parsed expression; `problems` is empty when it can be a bool and every call exists. */
export function checkExpression(env: CelEnv, expr: Expr): CheckResult {
  const out: CheckResult = { problems: [], variables: new Set() };
  const kind = kindOf(env, expr, new Map(), out);
  if (kind === 'other')
    out.problems.unshift('is not a bool expression (a rule must be true or false)');
  return out;
}
