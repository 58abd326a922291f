// Every parser that reads hostile input, fed mutations of valid inputs and arbitrary text: each input
// gets a verdict or a SathosError with a known code and a one-line message — never another
// exception (a crash) and never an input slower than a second (a hang in the making).
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  assertStatement,
  assertTransitionStatement,
  bundleFromDocument,
  commitLinks,
  decodeRecords,
  parseAllowedSigners,
  parseBundleText,
  parseChainText,
  parseCommit,
  parsePolicy,
  PolicyInvalidError,
  problemLine,
  parsePublicKeys,
  parseSshSignature,
  readPgpKeys,
  trustFromJSON,
} from '@sathos/core';
import { nonBlankLines } from '../../packages/core/src/attestation/chain/text-lines.js';
import { parseSshTimestamp } from '../../packages/core/src/identity/commits/ssh/allowed-signers.js';
import { parseGitsignSignature } from '../../packages/core/src/identity/commits/gitsign/cms.js';
import { parseSshCertificate } from '../../packages/core/src/identity/commits/ssh/certificate.js';
import { parseSshKey } from '../../packages/core/src/identity/commits/ssh/key.js';
import { readPolicyYaml } from '../../packages/core/src/policy/document/yaml.js';
import { keySignedBundle, statementFor } from '../vectors/key-signed-bundle.js';
import {
  assertOneLine,
  fuzzParameters,
  hostileText,
  judge,
  judgeAsync,
  mutatedBytes,
  shown,
  Tally,
} from './harness.js';
import {
  chainText,
  GITHUB_ROOT,
  GITSIGN_COMMITS,
  makePgpMaterial,
  makeSshMaterial,
  policyText,
  PROVENANCE,
  webFlowCommit,
  webFlowArmored as webFlowArmoredKeys,
  WEB_FLOW,
  type SshMaterial,
} from './samples.js';

let ssh: SshMaterial;
let pgpKey: string;
let webFlowArmored: string;

before(async () => {
  ssh = makeSshMaterial();
  pgpKey = (await makePgpMaterial('ed@example.com')).armoredKey;
  webFlowArmored = await webFlowArmoredKeys();
});
after(() => {
  ssh.cleanup();
});

/** Runs `check` on every input of `arbitrary` and reports the figures under `name`. */
function fuzzSync<T>(
  name: string,
  arbitrary: () => fc.Arbitrary<T>,
  check: (input: T, tally: Tally) => void,
  scale = 1,
): void {
  void it(`${name}: a verdict or a SathosError for every input`, (t) => {
    const tally = new Tally(name);
    fc.assert(
      fc.property(arbitrary(), (input) => {
        check(input, tally);
      }),
      fuzzParameters(scale),
    );
    tally.report(t);
  });
}

function fuzzAsync<T>(
  name: string,
  arbitrary: () => fc.Arbitrary<T>,
  check: (input: T, tally: Tally) => Promise<void>,
  scale = 1,
): void {
  void it(`${name}: a verdict or a SathosError for every input`, async (t) => {
    const tally = new Tally(name);
    await fc.assert(
      fc.asyncProperty(arbitrary(), (input) => check(input, tally)),
      fuzzParameters(scale),
    );
    tally.report(t);
  });
}

/** The base64 body of a `type AAAA… comment` line. */
function keyBlob(line: string): Buffer {
  return Buffer.from(line.split(' ')[1] ?? '', 'base64');
}

/** Armored text with its base64 body decoded, mutated as bytes, and armored again. */
function reArmored(armored: readonly string[]): fc.Arbitrary<string> {
  const parts = armored.map((text) => {
    const lines = text.trim().split('\n');
    return {
      head: lines[0] ?? '',
      tail: lines.at(-1) ?? '',
      body: Buffer.from(lines.slice(1, -1).join(''), 'base64'),
    };
  });
  return fc
    .tuple(fc.integer({ min: 0, max: parts.length - 1 }), mutatedBytes(parts.map((p) => p.body)))
    .map(([index, body]) => {
      const part = parts[index];
      const wrapped = body.toString('base64').replace(/.{1,70}/g, '$&\n');
      return `${part?.head ?? ''}\n${wrapped}${part?.tail ?? ''}\n`;
    });
}

const bundleSamples = (): string[] => [
  JSON.stringify(keySignedBundle(statementFor('a'.repeat(64))).bundle),
  PROVENANCE.bundle,
  `${JSON.stringify(keySignedBundle(statementFor('b'.repeat(64))).bundle)}\n${JSON.stringify(keySignedBundle(statementFor('c'.repeat(64))).bundle)}\n`,
];

const commitSamples = (): Buffer[] => [
  ssh.commit.raw,
  webFlowCommit(WEB_FLOW.modern),
  webFlowCommit(WEB_FLOW.old),
  ...GITSIGN_COMMITS,
];

const commitId = fc.constantFrom('a'.repeat(40), 'b'.repeat(64));

void describe('fuzzing the attestation parsers', () => {
  fuzzSync(
    'parseBundleText+bundleFromDocument',
    () => hostileText(bundleSamples()),
    (text, tally) => {
      const read = judge(
        tally,
        () => shown(text),
        () => parseBundleText(text, 'fuzz.json'),
      );
      if (!read.ok) return;
      for (const doc of read.value) {
        judge(
          tally,
          () => shown(text),
          () => bundleFromDocument(doc.json, doc.where),
        );
      }
    },
  );

  fuzzSync(
    'parseChainText+decodeRecords',
    () => hostileText([chainText()]),
    (text, tally) => {
      const lines = judge(
        tally,
        () => shown(text),
        () => parseChainText(text, 'fuzz.jsonl'),
      );
      if (lines.ok)
        judge(
          tally,
          () => shown(text),
          () => decodeRecords(lines.value, 'fuzz.jsonl'),
        );
    },
  );

  fuzzSync(
    'nonBlankLines',
    () => hostileText([chainText(), 'a\n\n  b\r\n\t\n c ']),
    (text, tally) => {
      judge(
        tally,
        () => shown(text),
        () => [...nonBlankLines(text)],
      );
    },
  );

  fuzzSync(
    'assertStatement+assertTransitionStatement',
    () =>
      hostileText(
        chainText()
          .trim()
          .split('\n')
          .map((line) => {
            const bundle = JSON.parse(line) as { dsseEnvelope: { payload: string } };
            return Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString();
          }),
      ),
    (text, tally) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return; // not JSON: the callers refuse it before a statement is judged
      }
      judge(
        tally,
        () => shown(text),
        () => {
          assertStatement(value, 'fuzz');
        },
      );
      judge(
        tally,
        () => shown(text),
        () => {
          assertTransitionStatement(value, 'fuzz');
        },
      );
    },
  );
});

void describe('fuzzing the policy parsers', () => {
  fuzzSync(
    'readPolicyYaml+parsePolicy',
    () => hostileText([policyText(ssh.allowedSigners, pgpKey)]),
    (text, tally) => {
      judge(
        tally,
        () => shown(text),
        () => readPolicyYaml(text, 'fuzz.yaml'),
      );
      const policy = judge(
        tally,
        () => shown(text),
        () => parsePolicy(text, 'fuzz.yaml'),
      );
      // `sathos policy check` prints every problem on its own line.
      if (!policy.ok && policy.error instanceof PolicyInvalidError) {
        for (const p of policy.error.problems) assertOneLine(problemLine('fuzz.yaml', p));
      }
    },
    0.25, // ~10 ms an input: YAML, the schema and every CEL rule compiled
  );
});

void describe('fuzzing the commit and signer parsers', () => {
  fuzzSync(
    'parseCommit+commitLinks',
    () => fc.tuple(commitId, mutatedBytes(commitSamples())),
    ([id, raw], tally) => {
      judge(
        tally,
        () => shown(raw),
        () => parseCommit(id, raw),
      );
      judge(
        tally,
        () => shown(raw),
        () => commitLinks(id, raw),
      );
    },
  );

  fuzzSync(
    'parseAllowedSigners',
    () => hostileText([ssh.allowedSigners, ssh.publicKeys.map((k) => `* ${k}`).join('\n')]),
    (text, tally) => {
      judge(
        tally,
        () => shown(text),
        () => parseAllowedSigners(text, 'fuzz_signers'),
      );
    },
  );

  fuzzSync(
    'parseSshTimestamp',
    () => hostileText(['20200101', '202001011230', '20200101123059Z', '19700101000000']),
    (input, tally) => {
      const text = input.replaceAll('\n', ''); // its callers split lines first
      judge(
        tally,
        () => shown(text),
        () => parseSshTimestamp(text, 'fuzz'),
      );
    },
  );

  fuzzSync(
    'parseSshSignature (armored text)',
    () => hostileText([...ssh.signatures, ssh.certificateSignature]),
    (text, tally) => {
      judge(
        tally,
        () => shown(text),
        () => parseSshSignature(text),
      );
    },
  );

  fuzzSync(
    'parseSshSignature (decoded blob)',
    () => reArmored([...ssh.signatures, ssh.certificateSignature]),
    (text, tally) => {
      judge(
        tally,
        () => shown(text),
        () => parseSshSignature(text),
      );
    },
  );

  fuzzSync(
    'parseSshKey+parseSshCertificate',
    () => mutatedBytes([...ssh.publicKeys, ssh.certificate, ssh.caPublicKey].map(keyBlob)),
    (blob, tally) => {
      judge(
        tally,
        () => shown(blob),
        () => parseSshKey(blob, 'the fuzzed key'),
      );
      judge(
        tally,
        () => shown(blob),
        () => parseSshCertificate(blob, 'the fuzzed certificate'),
      );
    },
  );

  fuzzSync(
    'parseGitsignSignature (armored text)',
    () =>
      hostileText(GITSIGN_COMMITS.map((raw) => parseCommit('a'.repeat(40), raw).signature ?? '')),
    (text, tally) => {
      judge(
        tally,
        () => shown(text),
        () => parseGitsignSignature(text),
      );
    },
    0.5, // ~7 ms an input: pkijs reads the whole CMS
  );

  fuzzSync(
    'parseGitsignSignature (DER)',
    () => reArmored(GITSIGN_COMMITS.map((raw) => parseCommit('a'.repeat(40), raw).signature ?? '')),
    (text, tally) => {
      judge(
        tally,
        () => shown(text),
        () => parseGitsignSignature(text),
      );
    },
    0.5, // ~7 ms an input: pkijs reads the whole CMS
  );

  fuzzAsync(
    'readPgpKeys',
    () => fc.oneof(hostileText([pgpKey]), reArmored([pgpKey]), reArmored([webFlowArmored])),
    async (text, tally) => {
      await judgeAsync(
        tally,
        () => shown(text),
        () => readPgpKeys(text, 'fuzz.asc'),
      );
    },
    0.5,
  );
});

void describe('fuzzing the trust material parsers', () => {
  const npmKeys = (pem: string): string =>
    JSON.stringify({
      keys: [
        {
          keyid: 'SHA256:fuzz',
          keyUsage: 'npm:attestations',
          publicKey: {
            rawBytes: pem.replace(/-----[^-]+-----|\s/g, ''),
            keyDetails: 'PKIX_ECDSA_P256_SHA_256',
            validFor: { start: '2023-01-01T00:00:00.000Z' },
          },
        },
      ],
    });

  fuzzSync(
    'parsePublicKeys',
    () => {
      const pem = keySignedBundle(statementFor('a'.repeat(64))).publicKeyPem;
      return hostileText([pem, npmKeys(pem), `${pem}${pem}`]);
    },
    (text, tally) => {
      judge(
        tally,
        () => shown(text),
        () => parsePublicKeys(text, 'fuzz.pem'),
      );
    },
  );

  fuzzSync(
    'trustFromJSON',
    () => hostileText([PROVENANCE.root, GITHUB_ROOT]),
    (text, tally) => {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return; // the file readers refuse text that is not JSON before the root is judged
      }
      judge(
        tally,
        () => shown(text),
        () => trustFromJSON(json, 'fuzz root'),
      );
    },
    0.5,
  );
});
