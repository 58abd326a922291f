// push-to-registry against a real registry on loopback (Debian's docker-registry, started by the
// test): the build's bundles are attached to the image as OCI referrers before the chain file is
// written; a push that fails leaves the chain file byte for byte as it was.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readAttestInputs } from '@sathos/github';
import { fetchReferrerBundles } from '@sathos/node';
import { startRealRegistry, type RealRegistry } from '@sathos/testkit';
import { run } from '../../../actions/attest-build/src/main.js';
import { pushImage } from '../../registry/image.js';
import { AttestFixture, chainBundles } from './fixture.js';

void describe('attest-build with push-to-registry', () => {
  let fx: AttestFixture;
  let registry: RealRegistry;
  let digest: string;
  before(async () => {
    fx = await AttestFixture.start();
    registry = await startRealRegistry();
    digest = await pushImage(registry.url, 'octo/app', 'hello\n');
  });
  after(async () => {
    await Promise.all([fx.dispose(), registry.close()]);
  });

  const attest = async (name: string, image: string) => {
    const env = {
      ...fx.env('public'),
      ...fx.inputs(name, 'public', {
        'INPUT_SUBJECT-PATH': '',
        'INPUT_SUBJECT-NAME': image,
        'INPUT_SUBJECT-DIGEST': digest,
        'INPUT_PUSH-TO-REGISTRY': 'true',
      }),
    };
    const runtime = fx.runtime(env);
    await run(readAttestInputs(env, { stage: 'build' }), runtime);
    return runtime.io;
  };

  void it('attaches the provenance and the record to the image, then appends them', async () => {
    await fx.startChain('pushed');
    const image = `${registry.host}/octo/app`;
    const io = await attest('pushed', image);
    assert.deepEqual(io.failures, []);
    const chain = chainBundles(fx.chainPath('pushed'));
    const attached = await fetchReferrerBundles({ image: `${image}@${digest}` });
    assert.equal(attached.length, 2);
    assert.deepEqual(
      attached.map((a) => JSON.stringify(a.bundle)).sort(),
      chain
        .slice(1)
        .map((b) => JSON.stringify(b))
        .sort(),
    );
  });

  void it('leaves the chain unchanged when the image is not in the registry', async () => {
    await fx.startChain('missing-image');
    const before = fx.chainBytes('missing-image');
    const io = await attest('missing-image', `${registry.host}/octo/absent`);
    assert.equal(io.failures.length, 1);
    assert.match(
      io.failures[0] ?? '',
      /pushing bundle 1 of 2 to .*octo\/absent.* the chain file is unchanged/,
    );
    assert.deepEqual(fx.chainBytes('missing-image'), before);
  });
});
