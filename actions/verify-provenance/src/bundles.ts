// Bundles mode: attestations made by others (actions/attest-build-provenance, npm, PyPI) about the
// artifacts, each artifact needing one bundle that verifies with the signer policy the inputs name.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  MAX_BUNDLE_FILE_BYTES,
  SathosError,
  describeSigner,
  keyTrust,
  parseBundleText,
  rootChoosingVerifier,
  signerPolicyFromFlags,
  type ArtifactInput,
  type CustodyNode,
  type SignerFlags,
  type Trust,
  type TrustedPublicKey,
} from '@sathos/core';
import { listAttestations, readInputFile, type AttestationsApi } from '@sathos/github';
import { fetchReferrerBundles } from '@sathos/node';
import { failureLine, type Verdict } from './chain.js';

const BUNDLE_FILE = /\.(json|jsonl|sigstore)$/;

async function bundleFiles(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => BUNDLE_FILE.test(n)).sort();
  return names.map((n) => join(path, n));
}

/** Where the attestations come from: files, or GitHub's attestations API by subject digest. */
export type AttestationSource =
  | { readonly kind: 'files'; readonly path: string }
  | {
      readonly kind: 'github';
      readonly repository: string;
      readonly api: AttestationsApi;
      readonly token?: string;
    }
  | { readonly kind: 'oci'; readonly fetch: typeof fetch };

interface Document {
  readonly json: unknown;
  readonly where: string;
}

async function filesDocuments(path: string): Promise<Document[]> {
  const documents: Document[] = [];
  for (const file of await bundleFiles(path)) {
    const text = await readInputFile(file, 'bundles', MAX_BUNDLE_FILE_BYTES);
    documents.push(...parseBundleText(text, file));
  }
  return documents;
}

/** The bundles GitHub lists for the artifact's SHA-256: listed, never trusted, each verified here. */
async function githubDocuments(
  source: Extract<AttestationSource, { kind: 'github' }>,
  artifact: ArtifactInput,
  predicateType: string | undefined,
): Promise<Document[]> {
  const sha256 = artifact.digests.find((d) => d.algorithm === 'sha256');
  if (sha256 === undefined) return [];
  const digest = `sha256:${sha256.hex}`;
  const listed = await listAttestations({
    ...source.api,
    repository: source.repository,
    digest,
    ...(source.token === undefined ? {} : { token: source.token }),
    ...(predicateType === undefined ? {} : { predicateType }),
  });
  return listed.map((json, i) => ({
    json,
    where: `GitHub attestation ${i + 1} of ${digest} in ${source.repository}`,
  }));
}

/** The bundles attached to the image as OCI referrers: listed, never trusted. */
async function referrerDocuments(image: string, fetchFn: typeof fetch): Promise<Document[]> {
  const bundles = await fetchReferrerBundles({ image, fetch: fetchFn });
  return bundles.map(({ descriptor, bundle }) => ({
    json: bundle,
    where: `${image} referrer ${descriptor.digest}`,
  }));
}

export interface BundlesCheck {
  readonly source: AttestationSource;
  readonly artifacts: readonly ArtifactInput[];
  readonly trust: Trust | undefined;
  readonly keys: readonly TrustedPublicKey[];
  readonly signer: SignerFlags;
}

/** Every artifact needs a bundle that verifies for it; each bundle is drawn with its verdict. */
export async function verifyBundlesInput(c: BundlesCheck): Promise<Verdict> {
  const policy = signerPolicyFromFlags(c.signer);
  const verifier = rootChoosingVerifier({
    ...(c.trust === undefined ? {} : { trust: c.trust }),
    ...keyTrust({ keys: c.keys, rootNamed: c.trust !== undefined }),
  });
  const fromFiles = c.source.kind === 'files' ? await filesDocuments(c.source.path) : undefined;
  const source = c.source;
  const documentsFor = (artifact: ArtifactInput): Promise<Document[]> =>
    source.kind === 'files'
      ? Promise.resolve(fromFiles ?? [])
      : source.kind === 'oci'
        ? referrerDocuments(artifact.name, source.fetch)
        : githubDocuments(source, artifact, policy.predicateType);
  const where =
    source.kind === 'files'
      ? source.path
      : source.kind === 'oci'
        ? 'OCI referrers'
        : `GitHub ${source.repository}`;
  let seen = 0;
  const nodes: CustodyNode[] = [];
  const failures: string[] = [];
  for (const artifact of c.artifacts) {
    const problems: string[] = [];
    let found = false;
    const documents = await documentsFor(artifact);
    seen += documents.length;
    for (const { json, where } of documents) {
      try {
        const v = verifier.verify(json, {
          where,
          artifact: { digests: artifact.digests },
          ...(policy.identity && { identity: policy.identity }),
          ...(policy.claims.length > 0 && { claims: policy.claims }),
          ...(policy.predicateType !== undefined && { predicateType: policy.predicateType }),
        });
        // verify-keys alone name who is trusted: a certificate anyone can obtain is not that signer.
        if (policy.identity === undefined && c.keys.length > 0 && v.signer.kind !== 'key') {
          throw new SathosError(
            'UNTRUSTED_SIGNER',
            `signed by ${describeSigner(v.signer)}, not by a verify-keys key; name a keyless signer with the identity inputs`,
            { where },
          );
        }
        found = true;
        const stage = `${artifact.name}: ${v.predicateType ?? v.mediaType}`;
        nodes.push({ stage, signer: describeSigner(v.signer), verdict: 'verified', where });
      } catch (error) {
        problems.push(failureLine(error));
      }
    }
    if (!found) {
      failures.push(`${artifact.name}: no bundle verifies — ${problems[0] ?? 'no bundles found'}`);
      nodes.push({
        stage: artifact.name,
        signer: problems[0] ?? 'no bundle',
        verdict: 'failed',
        where,
      });
    }
  }
  const verified = failures.length === 0 && c.artifacts.length > 0;
  return {
    verified,
    reason: verified
      ? `${c.artifacts.length} artifact${c.artifacts.length === 1 ? '' : 's'} verified against ${seen} bundle${seen === 1 ? '' : 's'}`
      : `${failures.length} of ${c.artifacts.length} artifacts have no bundle that verifies`,
    nodes,
    failures,
    roots: verifier.roots(),
  };
}
