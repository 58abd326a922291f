// The use cases every edge calls: record a step, verify a chain with its policy, and the commits a
// source step must cover.
export * from './chain-so-far.js';
export * from './record-step.js';
export * from './attest.js';
export * from './record-source.js';
export * from './verify-chain-policy.js';
export * from './commit-coverage.js';
export * from './gate.js';
