// The workflow posture layer (docs/posture.md): model, baseline findings, lock, decision, evidence.
export * from './model.js';
export * from './uses.js';
export * from './contexts.js';
export * from './permissions.js';
export * from './job-traits.js';
export * from './findings.js';
export * from './lock.js';
export * from './workflow-input.js';
export * from './evaluate.js';
export * from './predicate.js';
export * from './sarif.js';
export * from './baseline.js';
export * from './yaml-guard.js';
