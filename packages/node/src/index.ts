// @sathos/node: the node adapters core's injected I/O is given — git as a process, the one bounded
// file reader, and the JSON Lines chain file. Core stays pure; the CLI, the actions and the tests
// hand these in.
export * from './chain-store.js';
export * from './files.js';
export * from './git.js';
export * from './subjects/index.js';
export * from './oci/index.js';
export * from './evidence/reports.js';
