// `sathos demo --out DIR` (docs/cli.md): in a SATHOS checkout, the reusable pipeline run through the
// local workflow runner, keyless, one attack refused; an installed CLI, which carries no workflows
// or action bundles, runs the same stages in process, key-signed.
import { findSathosCheckout } from '../demo/sathos-checkout.js';
import type { Outcome } from '../outcome.js';
import { localDemoCommand } from './demo-local.js';
import { workflowDemoCommand } from './demo-workflow.js';

export async function demoCommand(options: { out: string }): Promise<Outcome> {
  const checkout = findSathosCheckout();
  return checkout === undefined
    ? localDemoCommand(options)
    : workflowDemoCommand({ ...options, checkout });
}
