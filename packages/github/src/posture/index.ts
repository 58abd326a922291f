// Workflow posture at the runner edge (`@sathos/github/posture`, apart from the package root so the
// actions' bundles do not carry GitHub's workflow parser): GitHub's parser in, @sathos/core's model out.
export * from './git-source.js';
export * from './parse-workflow.js';
export * from './resolve.js';
export * from './collect.js';
export * from './at-commit.js';
