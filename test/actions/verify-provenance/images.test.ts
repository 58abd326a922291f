// Container images by their OCI referrers: an image pushed to the loopback registry, a keyless SLSA
// provenance bundle about its digest (Fulcio/Rekor/TSA stand-ins, GitHub Actions claims) attached
// as a referrer; the action verifies it with the right owner, fails with a wrong one, and fails for
// an image with nothing attached.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keylessSigner, signStatement, type SignerFlags } from '@sathos/core';
import { recordingIO, type RecordedIO } from '@sathos/github';
import { pushAttestation } from '@sathos/node';
import {
  githubActionsClaims,
  startOciStandIn,
  startSigstoreStandIn,
  type OciStandIn,
  type SigstoreStandIn,
} from '@sathos/testkit';
import { run } from '../../../actions/verify-provenance/src/main.js';
import { pushImage } from '../../registry/image.js';

void describe('verify-provenance over OCI referrers', () => {
  let registry: OciStandIn;
  let sigstore: SigstoreStandIn;
  let dir: string;
  let root: string;
  let attested: string;
  let bare: string;

  before(async () => {
    registry = await startOciStandIn();
    sigstore = await startSigstoreStandIn();
    dir = await mkdtemp(join(tmpdir(), 'sathos-provenance-oci-'));
    root = join(dir, 'trusted_root.json');
    await writeFile(root, JSON.stringify(sigstore.trustedRoot));
    const digest = await pushImage(registry.url, 'octo/app', 'image');
    attested = `${registry.host}/octo/app@${digest}`;
    bare = `${registry.host}/octo/app@${await pushImage(registry.url, 'octo/app', 'other image')}`;
    const signer = keylessSigner({
      identityToken: sigstore.issueToken(githubActionsClaims()),
      fulcioURL: sigstore.fulcioURL,
      rekorURL: sigstore.rekorURL,
      tsaURL: sigstore.tsaURL,
    });
    const bundle = await signStatement(
      {
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: 'octo/app', digest: { sha256: digest.slice('sha256:'.length) } }],
        predicateType: 'https://slsa.dev/provenance/v1',
        predicate: { buildDefinition: {}, runDetails: {} },
      },
      signer,
    );
    await pushAttestation({ image: attested, bundle });
  });
  after(async () => {
    await registry.close();
    await sigstore.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function verify(images: string[], signer: SignerFlags): Promise<RecordedIO> {
    const io = recordingIO();
    await run(
      {
        artifacts: [],
        digests: [],
        evidence: { kind: 'oci', images },
        verifyKeys: [],
        signer,
        trustedRoot: root,
      },
      { env: {}, fetch: globalThis.fetch, io },
    );
    return io;
  }

  void it('verifies the attached provenance with the right owner and repository', async () => {
    const io = await verify([attested], { owner: 'octo-org', repo: 'octo-org/octo-repo' });
    assert.deepEqual(io.failures, [], JSON.stringify(io.lines));
    assert.equal(io.outputs.get('verified'), 'true');
  });

  void it('fails with a wrong owner', async () => {
    const io = await verify([attested], { owner: 'evil-org' });
    assert.equal(io.outputs.get('verified'), 'false');
    const errors = io.lines.filter((l) => l.level === 'error').map((l) => l.line);
    assert.match(errors[0] ?? '', /IDENTITY_MISMATCH: .*evil-org/);
  });

  void it('fails for an image with no attestation attached', async () => {
    const io = await verify([bare], { owner: 'octo-org' });
    assert.equal(io.outputs.get('verified'), 'false');
    assert.match(io.failures[0] ?? '', /1 of 1 artifacts have no bundle that verifies/);
    const errors = io.lines.filter((l) => l.level === 'error').map((l) => l.line);
    assert.match(errors[0] ?? '', /no bundle verifies — no bundles found/);
  });
});
