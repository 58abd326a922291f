// Every comprehension (all, exists, exists_one, map, filter) checks the decision's time budget
// before each step, whatever list it walks: an input list, a literal or one a macro built. The
// loop condition of each comprehension is wrapped in a call that checks the budget and returns
// the condition unchanged; the name starts with `@`, so no policy can call it.
import type { parse } from '@bufbuild/cel';
import { CelScalar, celFunc } from '@bufbuild/cel';
import { checkActiveBudget } from './budget.js';

type Expr = ReturnType<typeof parse>['expr'];

const LOOP_CHECK = '@sathos_loop_budget';

/** The function the wrapped loop conditions call; add it to the CEL environment. */
export const loopBudgetFunc = celFunc(LOOP_CHECK, [CelScalar.BOOL], CelScalar.BOOL, (condition) => {
  checkActiveBudget();
  return condition;
});

function wrap(condition: Expr): Expr {
  return {
    $typeName: 'cel.expr.Expr',
    id: condition.id,
    exprKind: {
      case: 'callExpr',
      value: { $typeName: 'cel.expr.Expr.Call', function: LOOP_CHECK, args: [condition] },
    },
  };
}

/** Rewrites `expr` in place so that every comprehension checks the budget on each iteration. */
export function addLoopChecks(expr: Expr | undefined): void {
  const k = expr?.exprKind;
  switch (k?.case) {
    case 'selectExpr':
      addLoopChecks(k.value.operand);
      return;
    case 'callExpr':
      addLoopChecks(k.value.target);
      k.value.args.forEach(addLoopChecks);
      return;
    case 'listExpr':
      k.value.elements.forEach(addLoopChecks);
      return;
    case 'structExpr':
      k.value.entries.forEach((e) => {
        if (e.keyKind.case === 'mapKey') addLoopChecks(e.keyKind.value);
        addLoopChecks(e.value);
      });
      return;
    case 'comprehensionExpr': {
      const c = k.value;
      [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result].forEach(addLoopChecks);
      if (c.loopCondition !== undefined) c.loopCondition = wrap(c.loopCondition);
      return;
    }
    default:
      return;
  }
}
