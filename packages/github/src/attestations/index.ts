// Where GitHub stores attestations: upload (attestations: write) and list by subject digest.
export { uploadAttestation, uploadAll, serverUrlOf } from './upload.js';
export type {
  UploadOptions,
  UploadAllOptions,
  UploadAllResult,
  UploadedAttestation,
} from './upload.js';
export { listAttestations, nextCursor, LIST_LIMITS } from './list.js';
export type { ListOptions, ListedBundle } from './list.js';
export type { AttestationsApi } from './http.js';
export type { RetryOptions } from './retry.js';
