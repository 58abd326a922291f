// @sathos/github/workflow-runner: runs a workflow locally as GitHub's runner would (docs/adoption.md).
export { runWorkflow, jobOrder, type RunOptions, type RunResult } from './runner.js';
export { loadWorkflow, type LoadedWorkflow, type WorkflowFile } from './load.js';
export type { JobResult } from './job.js';
export type { IssueToken, TokenRequest } from './oidc-endpoint.js';
export { ACTIONS_ISSUER } from './identity.js';
