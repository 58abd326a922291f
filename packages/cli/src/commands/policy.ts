// `sathos policy <check|test> <policy>`: one command with an action, dispatched here.
import { SathosError } from '@sathos/core';
import type { Outcome } from '../outcome.js';
import { failure } from '../outcome.js';
import { policyCheckCommand } from './policy-check.js';
import type { PolicyLoadContext } from './policy-load.js';
import { policyTestCommand } from './policy-test.js';

export interface PolicyCommandOptions {
  readonly input?: string;
  readonly stage?: string;
  readonly environment?: string;
  readonly policyDigest?: string;
  readonly githubApi?: string;
}

export async function policyCommand(
  action: string,
  reference: string,
  o: PolicyCommandOptions,
  context: PolicyLoadContext = {},
): Promise<Outcome> {
  const load = {
    ...(o.policyDigest === undefined ? {} : { policyDigest: o.policyDigest }),
    ...(o.githubApi === undefined ? {} : { githubApi: o.githubApi }),
  };
  if (action === 'check') {
    if (o.input !== undefined || o.stage !== undefined || o.environment !== undefined) {
      return failure(
        'allowed',
        new SathosError(
          'USAGE',
          'policy check takes no --input, --stage or --environment; use policy test',
        ),
      );
    }
    return policyCheckCommand(reference, load, context);
  }
  if (o.input === undefined) {
    return failure('allowed', new SathosError('USAGE', 'policy test needs --input <input.json>'));
  }
  return policyTestCommand(
    reference,
    {
      ...load,
      input: o.input,
      ...(o.stage === undefined ? {} : { stage: o.stage }),
      ...(o.environment === undefined ? {} : { environment: o.environment }),
    },
    context,
  );
}
