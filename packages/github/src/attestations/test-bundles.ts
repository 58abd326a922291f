// Test helper: bundle-shaped JSON whose DSSE statement names a subject digest. Storage neither signs
// nor verifies, so the signature is a placeholder; verification is tested where bundles are verified.

export function statementBundle(
  digestHex: string,
  predicateType = 'https://slsa.dev/provenance/v1',
  n = 0,
) {
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: `artifact-${n}`, digest: { sha256: digestHex } }],
    predicateType,
    predicate: { n },
  };
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: 'test' } },
    dsseEnvelope: {
      payload: Buffer.from(JSON.stringify(statement)).toString('base64'),
      payloadType: 'application/vnd.in-toto+json',
      signatures: [{ sig: Buffer.from(`placeholder-${n}`).toString('base64'), keyid: '' }],
    },
  };
}
