// @sathos/github: the runner edge. Only this package and actions/* import @actions/*.
export * from './inputs.js';
export * from './context.js';
export * from './event.js';
export * from './rest.js';
export * from './oidc.js';
export * from './approvals.js';
export * from './io.js';
export * from './action-entry.js';
export * from './signing.js';
export * from './signing-instance.js';
export * from './files.js';
export * from './workflow-runs.js';
export * from './baseline-cache.js';
export * from './policy-input.js';
export * from './attest/index.js';
export * from './attestations/index.js';
export { commandsStopped, withWorkflowCommandsStopped } from './workflow-commands.js';
