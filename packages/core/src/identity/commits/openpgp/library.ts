// The openpgp.js functions SATHOS calls, and only those: signature.ts imports this module with
// import(), and a dynamically imported module keeps all its exports — naming them here lets the
// bundler drop the rest of openpgp.js (key generation, encryption, ...).
export { createMessage, readKeys, readSignature, verify } from 'openpgp';
