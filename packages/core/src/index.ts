// @sathos/core public surface. Each layer appends its exports below.
export * from './errors.js';
export * from './attestation/digest.js';
export * from './attestation/statement.js';
export * from './identity/signer-identity.js';
