// Signs an in-toto Statement into a Sigstore bundle v0.3: a DSSE envelope (payloadType
// application/vnd.in-toto+json) with the signer's key or certificate and its witnesses' evidence.
// Bundle format: https://github.com/sigstore/protobuf-specs/blob/main/protos/sigstore_bundle.proto
import { BUNDLE_V03_MEDIA_TYPE, bundleToJSON, type SerializedBundle } from '@sigstore/bundle';
import { DSSEBundleBuilder } from '@sigstore/sign';
import { SathosError } from '../../errors.js';
import { IN_TOTO_PAYLOAD_TYPE, assertStatement, type Statement } from '../record/statement.js';
import { signingFailure } from './failure.js';
import type { StatementSigner } from './signer.js';

export type { SerializedBundle };
export type {
  KeyStatementSigner,
  KeylessStatementSigner,
  SignerServices,
  StatementSigner,
} from './signer.js';
export { keySigner, keySignerFromKey, nodeKeySigner, type KeySignerOptions } from './key-signer.js';
export { keylessSigner, type KeylessSignerOptions } from './keyless-signer.js';
export type { NetworkOptions, RekorEntryType, WitnessOptions } from './witnesses.js';

/** The exact payload bytes signed for a statement: its JSON serialisation, UTF-8. */
export function statementPayload(statement: Statement): Buffer {
  return Buffer.from(JSON.stringify(statement), 'utf8');
}

/** Signs arbitrary DSSE payload bytes; most callers want signStatement. */
export async function signPayload(
  payload: Uint8Array,
  payloadType: string,
  signer: StatementSigner,
): Promise<SerializedBundle> {
  const builder = new DSSEBundleBuilder({
    signer: signer.signer,
    witnesses: [...signer.witnesses],
  });
  let json: SerializedBundle;
  try {
    json = bundleToJSON(await builder.create({ data: Buffer.from(payload), type: payloadType }));
  } catch (error) {
    throw signingFailure(error, signer.services);
  }
  if (json.mediaType !== BUNDLE_V03_MEDIA_TYPE) {
    throw new SathosError(
      'SIGNING_FAILED',
      `the signer produced a ${json.mediaType} bundle, not v0.3; this is a bug`,
    );
  }
  return json;
}

/** Validates the statement (MALFORMED_STATEMENT) and signs it; failures are SIGNING_FAILED. */
export async function signStatement(
  statement: Statement,
  signer: StatementSigner,
): Promise<SerializedBundle> {
  assertStatement(statement);
  return signPayload(statementPayload(statement), IN_TOTO_PAYLOAD_TYPE, signer);
}
