// A trusted_root.json (protobuf-specs TrustedRoot, JSON form) naming exactly the stand-ins' keys.
// https://github.com/sigstore/protobuf-specs/blob/main/protos/sigstore_trustroot.proto
import { createHash } from 'node:crypto';

export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';

export interface StandInKeys {
  readonly fulcioURL: string;
  readonly rekorURL: string;
  readonly tsaURL: string;
  /** DER certificates. */
  readonly caRoot: ArrayBufferView;
  readonly tsaChain: readonly ArrayBufferView[];
  /** DER SPKI public keys. */
  readonly rekorKey: ArrayBufferView;
  readonly ctlogKey: ArrayBufferView;
  /** The start of every authority's validity. */
  readonly since: Date;
}

/** The trusted root JSON object; `TrustedRoot.fromJSON` reads it. */
export type TrustedRootJSON = Record<string, unknown>;

const bytesOf = (view: ArrayBufferView): Buffer =>
  Buffer.from(view.buffer, view.byteOffset, view.byteLength);
const b64 = (view: ArrayBufferView): string => bytesOf(view).toString('base64');

function transparencyLog(
  baseUrl: string,
  key: ArrayBufferView,
  since: string,
): Record<string, unknown> {
  return {
    baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: {
      rawBytes: b64(key),
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
      validFor: { start: since },
    },
    logId: { keyId: createHash('sha256').update(bytesOf(key)).digest('base64') },
  };
}

function authority(
  uri: string,
  commonName: string,
  chain: readonly ArrayBufferView[],
  since: string,
): Record<string, unknown> {
  return {
    subject: { organization: 'sigstore.mock', commonName },
    uri,
    certChain: { certificates: chain.map((der) => ({ rawBytes: b64(der) })) },
    validFor: { start: since },
  };
}

export function standInTrustedRoot(keys: StandInKeys): TrustedRootJSON {
  const since = keys.since.toISOString();
  return {
    mediaType: TRUSTED_ROOT_MEDIA_TYPE,
    tlogs: [transparencyLog(keys.rekorURL, keys.rekorKey, since)],
    certificateAuthorities: [authority(keys.fulcioURL, 'sigstore', [keys.caRoot], since)],
    ctlogs: [transparencyLog(`${keys.fulcioURL}/ct`, keys.ctlogKey, since)],
    timestampAuthorities: [authority(keys.tsaURL, 'tsa', keys.tsaChain, since)],
  };
}
