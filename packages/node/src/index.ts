// @sathos/node: the node adapters core's injected I/O is given — git as a process. Core stays pure;
// the CLI, the actions and the tests hand these in.
export * from './git.js';
