// Subjects from the file system: globs resolved inside the workspace, files hashed as streams,
// checksums files and the runner's artifacts list read bounded.
export * from './collect.js';
export * from './hash.js';
export * from './workspace-paths.js';
