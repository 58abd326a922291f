// Subjects: what a step attests to, from every kind of input, checked, deduplicated, sorted and
// split into the parts a record holds. Reading and hashing files is @sathos/node's (subjects/).
export * from './artifacts-list.js';
export * from './checksums.js';
export * from './references.js';
export * from './split.js';
export * from './subject.js';
