// `sathos verify-commits <rev-range>`: every commit of the range must carry a valid signature from a
// signer the policy (or the --allowed-signers / --pgp-keys files, the --cert-* gitsign identity) allows.
// gitsign (x509) signatures are anchored in --trusted-root (public-good by default). Exit 1 names each
// rejected commit.
import type {
  CommitPolicy,
  CommitRange,
  CommitsVerification,
  CommitVerdict,
  IdentityRule,
  Policy,
  SignatureTime,
} from '@sathos/core';
import {
  SathosError,
  assertIdentityRule,
  verifyCommits,
  verifyCommitsWithHead,
} from '@sathos/core';
import { openGitRepository } from '@sathos/node';
import { readInputText, readTrust } from '../inputs.js';
import { loadPolicy } from './policy-load.js';
import type { Outcome } from '../outcome.js';
import { failure } from '../outcome.js';
import type { SigningFlags } from '../signing.js';
import type { SourceRecord } from './source-record.js';
import { recordSourceStep } from './source-record.js';

export interface VerifyCommitsOptions extends SigningFlags {
  readonly range: string;
  /** Start this chain: on success, sign the source record (the genesis) and write it there. */
  readonly chain?: string;
  /** With --chain: the repository the records name (default: file://<the repository's path>). */
  readonly repository?: string;
  readonly repo?: string;
  readonly allowedSigners?: string;
  readonly pgpKeys?: string;
  readonly policy?: string;
  readonly defaultBranch?: string;
  /** The gitsign identity allowed without --policy: SAN exactly or by pattern, and its OIDC issuer. */
  readonly certIdentity?: string;
  readonly certIdentityRegexp?: string;
  readonly certOidcIssuer?: string;
  /** Anchors gitsign signatures: a trusted_root.json or embedded:<name>; public-good by default. */
  readonly trustedRoot?: string;
  /** Without --policy: when key validity is judged, `trusted` (now; the default) or `committer`. */
  readonly signatureTime?: string;
}

/** --signature-time: only without --policy (the policy's commits.signatureTime says it there). */
function signatureTimeOf(o: VerifyCommitsOptions): SignatureTime {
  const value = o.signatureTime ?? 'trusted';
  if (o.policy !== undefined && o.signatureTime !== undefined) {
    throw new SathosError(
      'USAGE',
      '--policy says when keys are judged (commits.signatureTime); drop --signature-time',
    );
  }
  if (value !== 'trusted' && value !== 'committer') {
    throw new SathosError(
      'USAGE',
      `--signature-time must be trusted (keys judged now; the default) or committer, not "${value}"`,
    );
  }
  return value;
}

/** The gitsign rule the --cert-* flags name, if any; throws USAGE when they are incomplete. */
function gitsignRule(o: VerifyCommitsOptions): IdentityRule | undefined {
  if (
    o.certIdentity === undefined &&
    o.certIdentityRegexp === undefined &&
    o.certOidcIssuer === undefined
  ) {
    return undefined;
  }
  const rule: IdentityRule = {
    ...(o.certOidcIssuer === undefined ? {} : { issuer: o.certOidcIssuer }),
    ...(o.certIdentity === undefined ? {} : { subject: o.certIdentity }),
    ...(o.certIdentityRegexp === undefined ? {} : { subjectRegexp: o.certIdentityRegexp }),
  };
  assertIdentityRule(rule, '--cert-identity/--cert-identity-regexp/--cert-oidc-issuer');
  return rule;
}

/** `base..head` is a range; a single revision is a list of one. */
export function parseRevRange(text: string, defaultBranch?: string): CommitRange {
  if (text.includes('...')) {
    throw new SathosError(
      'USAGE',
      `"${text}" is a symmetric difference; give base..head or one revision`,
    );
  }
  const parts = text.split('..');
  if (parts.length === 1) return { kind: 'list', commits: [text] };
  const [base = '', head = ''] = parts;
  if (parts.length !== 2 || base === '' || head === '') {
    throw new SathosError('USAGE', `"${text}" is not base..head; name both ends of the range`);
  }
  return { kind: 'range', base, head, ...(defaultBranch === undefined ? {} : { defaultBranch }) };
}

interface Signers {
  readonly commits: CommitPolicy;
  /** The whole policy, when --policy named one: it also decides the source step. */
  readonly document?: Policy;
}

async function commitPolicy(o: VerifyCommitsOptions): Promise<Signers> {
  const rule = gitsignRule(o);
  signatureTimeOf(o);
  if (o.policy !== undefined) {
    if (o.allowedSigners !== undefined || o.pgpKeys !== undefined || rule !== undefined) {
      throw new SathosError(
        'USAGE',
        '--policy names the signers; drop --allowed-signers, --pgp-keys and --cert-*',
      );
    }
    const policy = await loadPolicy(o.policy);
    if (policy.commits === undefined) {
      throw new SathosError(
        'USAGE',
        'the policy has no commits: section; add one or use --allowed-signers',
        {
          where: o.policy,
        },
      );
    }
    return { commits: policy.commits, document: policy };
  }
  if (o.allowedSigners === undefined && o.pgpKeys === undefined && rule === undefined) {
    throw new SathosError(
      'USAGE',
      'say who may sign commits: --policy, --allowed-signers, --pgp-keys or --cert-identity with --cert-oidc-issuer',
    );
  }
  const commits: CommitPolicy = {
    signers: {
      ...(o.allowedSigners === undefined
        ? {}
        : { allowedSigners: await readInputText(o.allowedSigners, 'allowedSigners') }),
      ...(o.pgpKeys === undefined ? {} : { pgpKeys: await readInputText(o.pgpKeys, 'pgpKeys') }),
      ...(rule === undefined ? {} : { gitsign: [rule] }),
    },
    protectedPaths: [],
    allowMergeCommits: false,
    allowWebFlow: false,
    signatureTime: signatureTimeOf(o),
  };
  return { commits };
}

function verdictLine(v: CommitVerdict): string {
  const mark = v.verdict === 'verified' ? 'ok      ' : 'REJECTED';
  const who =
    v.signer === undefined ? '' : ` ${v.signer}${v.key === undefined ? '' : ` (${v.key})`}`;
  return `${mark} ${v.commit.slice(0, 12)} ${v.format}${who}: ${v.reason}`;
}

function outcomeOf(result: CommitsVerification, source?: SourceRecord): Outcome {
  const recorded =
    source === undefined
      ? []
      : [
          `source record sha256:${source.digest} signed by ${source.signer}, appended to ${source.chain}`,
        ];
  const lines = [result.reason, ...result.commits.map(verdictLine), ...recorded];
  const details = {
    emptyRange: result.emptyRange,
    commits: result.commits,
    ...(source === undefined ? {} : { record: source }),
  };
  if (result.verified) {
    return {
      exitCode: 0,
      json: { verified: true, code: 'OK', reason: result.reason, ...details },
      lines,
    };
  }
  const code = result.emptyRange ? 'RANGE_UNVERIFIABLE' : 'COMMIT_REJECTED';
  return {
    exitCode: 1,
    json: { verified: false, code, reason: result.reason, ...details },
    lines: [`error: ${result.reason}`, ...result.commits.map(verdictLine)],
  };
}

/** Signing flags sign the source record: they mean nothing without --chain. */
function assertSigningWithChain(o: VerifyCommitsOptions): void {
  const signing = [
    o.key,
    o.keyless,
    o.fulcioUrl,
    o.rekorUrl,
    o.tsaUrl,
    o.oidcTokenFile,
    o.repository,
  ];
  if (o.chain === undefined && signing.some((flag) => flag !== undefined)) {
    throw new SathosError(
      'USAGE',
      '--key, --keyless, their URLs and --repository sign the source record: add --chain <file>',
    );
  }
}

export async function verifyCommitsCommand(o: VerifyCommitsOptions): Promise<Outcome> {
  try {
    const range = parseRevRange(o.range, o.defaultBranch);
    assertSigningWithChain(o);
    const signers = await commitPolicy(o);
    const trust = o.trustedRoot === undefined ? undefined : await readTrust(o.trustedRoot);
    const git = openGitRepository(o.repo ?? '.');
    const input = {
      git,
      range,
      policy: signers.commits,
      ...(trust === undefined ? {} : { trust }),
      now: new Date(),
    };
    if (o.chain === undefined) return outcomeOf(await verifyCommits(input));
    // Starting a chain, as the action does: the head is verified even when the range left it out,
    // since the source record names it.
    const covered = await verifyCommitsWithHead(
      input,
      range.kind === 'range' ? range.head : o.range,
    );
    if (!covered.result.verified) return outcomeOf(covered.result);
    const source = await recordSourceStep(o, o.chain, covered, signers.document);
    return outcomeOf(covered.result, source);
  } catch (error) {
    return failure('verified', error, { commits: [] });
  }
}
