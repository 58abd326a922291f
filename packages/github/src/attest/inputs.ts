// The inputs of the attest actions (attest-build, attest-step) as one typed value, named like
// actions/attest's where the meaning is the same (subject-path, subject-digest, subject-name,
// subject-checksums, sbom-path, push-to-registry, github-token). Read once, before anything runs.
import { SathosError, STAGE_PATTERN } from '@sathos/core';
import { getBooleanInput, getChoiceInput, getInput, getListInput, type Env } from '../inputs.js';
import { SIGNING_KINDS, type SigningRequest } from '../signing-instance.js';

/** What names the step's subjects; the node edge hashes and parses them (collectSubjects). */
export interface SubjectInputs {
  readonly paths: readonly string[];
  readonly checksums?: string;
  /** `name@sha256:<hex>` each (a bare `sha256:<hex>` takes its name from subject-name). */
  readonly digests: readonly string[];
  /** `registry/repository@sha256:<hex>` each: subject-name + subject-digest with push-to-registry. */
  readonly images: readonly string[];
  /** $GITHUB_ARTIFACTS_LIST, used only when no subject input is given (as actions/attest v4). */
  readonly artifactsList?: string;
}

/** Report files a step's evidence is made of (attest-step). */
export interface EvidenceInputs {
  readonly junit: readonly string[];
  readonly sarif: readonly string[];
  readonly sbomPath?: string;
}

export interface AttestInputs {
  readonly stage: string;
  readonly subjects: SubjectInputs;
  readonly evidence: EvidenceInputs;
  readonly chain: string;
  readonly policy?: string;
  readonly trustedRoot?: string;
  readonly signing: SigningRequest;
  /** Empty: the bundles stay in the chain file and are not uploaded to GitHub. */
  readonly githubToken?: string;
  readonly pushToRegistry: boolean;
  /** The step's command, run with `bash -e` before anything is signed. */
  readonly run?: string;
  /** The workspace subject paths are relative to. */
  readonly workspace: string;
}

const SUBJECT_INPUTS = ['subject-path', 'subject-checksums', 'subject-digest'] as const;

/** A bare `sha256:<hex>` (actions/attest's form) named by subject-name; or `name@sha256:<hex>`. */
function digestInputs(env: Env): { digests: string[]; images: string[] } {
  const digests = getListInput(env, 'subject-digest', true);
  const name = getInput(env, 'subject-name');
  const bare = digests.filter((d) => /^sha(256|512):/.test(d));
  if (bare.length > 0 && name === undefined) {
    throw new SathosError(
      'USAGE',
      'input "subject-digest" is a bare digest; give input "subject-name" too, or write name@sha256:<hex>',
    );
  }
  if (name !== undefined && bare.length === 0) {
    throw new SathosError(
      'USAGE',
      'input "subject-name" names a bare "subject-digest" (sha256:<hex>); give that digest too',
    );
  }
  const named = bare.map((d) => `${name ?? ''}@${d}`);
  const explicit = digests.filter((d) => !bare.includes(d));
  // With push-to-registry the name is an image: its subject is named as a registry names it.
  return getBooleanInput(env, 'push-to-registry', false)
    ? { digests: explicit, images: named }
    : { digests: [...explicit, ...named], images: [] };
}

function subjectInputs(env: Env): SubjectInputs {
  const paths = getListInput(env, 'subject-path', true);
  const checksums = getInput(env, 'subject-checksums');
  const { digests, images } = digestInputs(env);
  const artifactsList = env.GITHUB_ARTIFACTS_LIST?.trim() || undefined;
  const none =
    paths.length === 0 && checksums === undefined && digests.length + images.length === 0;
  if (none && artifactsList === undefined) {
    throw new SathosError(
      'USAGE',
      `no subject: give input ${SUBJECT_INPUTS.map((n) => `"${n}"`).join(', ')} (the artifacts this step attests)`,
    );
  }
  return {
    paths,
    digests,
    images,
    ...(checksums === undefined ? {} : { checksums }),
    ...(none && artifactsList !== undefined ? { artifactsList } : {}),
  };
}

/** The signing inputs every signing action shares (signing, signing-key, fulcio-url, rekor-url, tsa-url). */
export function signingRequest(env: Env): SigningRequest {
  const kind = getChoiceInput(env, 'signing', SIGNING_KINDS, 'keyless');
  const optional = (name: string, value: string | undefined) =>
    value === undefined ? {} : { [name]: value };
  return {
    kind,
    ...optional('privateKeyPem', getInput(env, 'signing-key')),
    ...optional('fulcioURL', getInput(env, 'fulcio-url')),
    ...optional('rekorURL', getInput(env, 'rekor-url')),
    ...optional('tsaURL', getInput(env, 'tsa-url')),
  };
}

function stageInput(env: Env, fixed: string | undefined): string {
  if (fixed !== undefined) return fixed;
  const stage = getInput(env, 'stage', { required: true }) ?? '';
  if (!STAGE_PATTERN.test(stage)) {
    throw new SathosError(
      'USAGE',
      `input "stage" is "${stage}"; use lowercase letters, digits and dashes (test, scan, sbom, …)`,
    );
  }
  if (stage === 'build' || stage === 'source') {
    throw new SathosError(
      'USAGE',
      `input "stage" is ${stage}: use actions/${stage === 'build' ? 'attest-build' : 'verify-commit-signature'}, which records that stage with its own evidence`,
    );
  }
  return stage;
}

/** Every input of an attest action; `stage` fixed for attest-build, an input for attest-step. */
export function readAttestInputs(
  env: Env,
  options: { readonly stage?: string } = {},
): AttestInputs {
  const stage = stageInput(env, options.stage);
  const optional = <K extends string>(key: K, value: string | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, string>>;
  const evidence: EvidenceInputs = {
    junit: getListInput(env, 'junit'),
    sarif: getListInput(env, 'sarif'),
    ...optional('sbomPath', getInput(env, 'sbom-path')),
  };
  return {
    stage,
    subjects: subjectInputs(env),
    evidence,
    chain: getInput(env, 'chain') ?? '.sathos/chain.jsonl',
    signing: signingRequest(env),
    pushToRegistry: getBooleanInput(env, 'push-to-registry', false),
    workspace: env.GITHUB_WORKSPACE?.trim() || process.cwd(),
    ...optional('policy', getInput(env, 'policy')),
    ...optional('trustedRoot', getInput(env, 'trusted-root')),
    ...optional('githubToken', getInput(env, 'github-token')),
    ...optional('run', getInput(env, 'run')),
  };
}
