// Workflow posture at the runner edge: GitHub's parser in, the typed model of @sathos/core out.
export * from './git-source.js';
export * from './parse-workflow.js';
export * from './resolve.js';
export * from './collect.js';
