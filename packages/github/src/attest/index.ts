// The attest actions' shared edge: inputs, the step's command, uploads before the chain is
// written, whom to trust, the summary, and the run that ties them to core's attestStep.
export * from './inputs.js';
export * from './command.js';
export * from './isolation.js';
export * from './runner-files.js';
export * from './uploading-store.js';
export * from './registry-store.js';
export * from './trust.js';
export * from './summary.js';
export * from './run.js';
export * from './runtime.js';
