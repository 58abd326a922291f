// The `gh attestation verify` signer flags as requirements on a Fulcio certificate's GitHub Actions
// claims (extensions 1.3.6.1.4.1.57264.1.8 onward, read by certificate-claims.ts). Owner and
// repository names compare case-insensitively, as GitHub treats them; digests and refs exactly.
import { SathosError } from '../../errors.js';
import { matchesWhole, wholePatternProblem } from '../../pattern.js';
import type { CertificateClaims } from './signer-identity.js';

/** The OIDC issuer of GitHub Actions tokens: what GitHub signer flags imply unless told otherwise. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

/** One claim a Fulcio certificate must carry: which extension, what is expected, and the test. */
export interface ClaimRequirement {
  readonly claim: keyof CertificateClaims;
  /** For people: e.g. `source repository https://github.com/o/r`. */
  readonly expected: string;
  readonly holds: (value: string) => boolean;
}

/** The `gh attestation verify` signer flags, as given on the command line. */
export interface GithubSignerFlags {
  readonly owner?: string;
  readonly repo?: string;
  readonly signerWorkflow?: string;
  readonly signerRepo?: string;
  readonly signerDigest?: string;
  readonly sourceRef?: string;
  readonly sourceDigest?: string;
  readonly denySelfHostedRunners?: boolean;
}

/** What else names the signer: a subject given beside the GitHub flags (--cert-identity…). */
export interface GithubClaimOptions {
  readonly subjectNamed?: boolean;
}

const GITHUB = 'https://github.com';
const NAME = /^[A-Za-z0-9_.-]+$/;
const HEX = /^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{64}$/;
/** A --signer-workflow holding one of these is a pattern; paths hold only names, dots and slashes. */
const PATTERN_CHARS = /[\\^$*+?()[\]{}|]/;

function usage(message: string): SathosError {
  return new SathosError('USAGE', message);
}

function ownerOf(flag: string, value: string): string {
  if (!NAME.test(value)) throw usage(`${flag} must be a GitHub owner name, e.g. octo-org`);
  return value;
}

function repoOf(flag: string, value: string): string {
  const [owner = '', name = '', ...rest] = value.split('/');
  if (rest.length > 0 || !NAME.test(owner) || !NAME.test(name)) {
    throw usage(`${flag} must be <owner>/<repo>, e.g. octo-org/app`);
  }
  return value;
}

function hexOf(flag: string, value: string): string {
  if (!HEX.test(value)) throw usage(`${flag} must be a 40 or 64 hex digit digest`);
  return value.toLowerCase();
}

/** Equal ignoring case: GitHub owner and repository names are case-insensitive. */
function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The value starts with the prefix, ignoring case. */
function startsWithName(value: string, prefix: string): boolean {
  return sameName(value.slice(0, prefix.length), prefix);
}

/** `[host/]owner/repo/path/to/workflow.yml` → the URI prefix before `@ref`, host defaulting to github.com. */
function workflowPrefix(value: string): { repoPart: string; path: string } {
  const bare = value.replace(/^https:\/\//, '');
  const parts = bare.split('/');
  const host = parts[0]?.includes('.') === true ? (parts.shift() ?? '') : 'github.com';
  const [owner = '', name = '', ...path] = parts;
  if (!NAME.test(owner) || !NAME.test(name) || path.length === 0 || path.includes('')) {
    throw usage(
      '--signer-workflow must be [host/]<owner>/<repo>/<path>, e.g. octo-org/app/.github/workflows/release.yml',
    );
  }
  return { repoPart: `https://${host}/${owner}/${name}/`, path: path.join('/') };
}

/** A build signer URI `https://host/owner/repo/path@ref` names this workflow, whatever the ref. */
function namesWorkflow(uri: string, want: { repoPart: string; path: string }): boolean {
  return (
    startsWithName(uri, want.repoPart) &&
    uri.slice(want.repoPart.length).startsWith(`${want.path}@`)
  );
}

/**
 * `--signer-workflow` as an RE2 pattern, as gh takes it: matched against the signer URI without its
 * scheme, from its start (`github.com/` prepended unless the pattern names a host), and — unless the
 * pattern says `@` itself — through any ref. Matched whole, so it cannot match inside another URI.
 */
function workflowPattern(value: string): ClaimRequirement {
  const pattern = value.replace(/^\^/, '').replace(/^https:\/\//, '');
  const firstSegment = pattern.split('/')[0] ?? '';
  const hosted = /^[A-Za-z0-9-]+(\\?\.[A-Za-z0-9-]+)+$/.test(firstSegment);
  // Grouped: a top-level `|` must not split the frame (prefix, ref) from some of its branches.
  const whole = `${hosted ? '' : 'github\\.com/'}(?:${pattern})${pattern.includes('@') ? '' : '@.+'}`;
  // Alone first: a pattern valid only inside the frame (`a)|(b`) would close the group early.
  const problem = wholePatternProblem(pattern) ?? wholePatternProblem(whole);
  if (problem !== undefined) {
    throw usage(`--signer-workflow is not a valid RE2 pattern: ${problem}`);
  }
  return {
    claim: 'buildSignerURI',
    expected: `a signer workflow matching /${whole}/`,
    holds: (v) => v.startsWith('https://') && matchesWhole(whole, v.slice('https://'.length)),
  };
}

function signerWorkflowRequirement(value: string): ClaimRequirement {
  if (PATTERN_CHARS.test(value)) return workflowPattern(value);
  const want = workflowPrefix(value);
  return {
    claim: 'buildSignerURI',
    expected: `signer workflow ${want.repoPart}${want.path}`,
    holds: (v) => namesWorkflow(v, want),
  };
}

function signerInRequirement(prefix: string, why: string): ClaimRequirement {
  return {
    claim: 'buildSignerURI',
    expected: `a signer workflow in ${prefix.slice(0, -1)}${why}`,
    holds: (v) => startsWithName(v, prefix),
  };
}

/**
 * gh's default: `--owner` or `--repo` alone also means the workflow that signed lives there. A
 * reusable workflow elsewhere (GitHub's attest workflows, a shared build) is trusted only when
 * named (--signer-repo, --signer-workflow, --cert-identity): the artifact's repository does not
 * vouch for code it merely called.
 */
function defaultSignerRequirement(
  flags: GithubSignerFlags,
  options: GithubClaimOptions,
): ClaimRequirement | undefined {
  const named =
    flags.signerWorkflow !== undefined ||
    flags.signerRepo !== undefined ||
    options.subjectNamed === true;
  if (named) return undefined;
  const why = ' (a workflow elsewhere needs --signer-repo or --signer-workflow)';
  if (flags.repo !== undefined) return signerInRequirement(`${GITHUB}/${flags.repo}/`, why);
  if (flags.owner !== undefined) return signerInRequirement(`${GITHUB}/${flags.owner}/`, why);
  return undefined;
}

function sourceRequirements(flags: GithubSignerFlags): ClaimRequirement[] {
  const out: ClaimRequirement[] = [];
  if (flags.owner !== undefined) {
    const uri = `${GITHUB}/${ownerOf('--owner', flags.owner)}`;
    out.push({
      claim: 'sourceRepositoryOwnerURI',
      expected: `source repository owner ${uri}`,
      holds: (v) => sameName(v, uri),
    });
  }
  if (flags.repo !== undefined) {
    const uri = `${GITHUB}/${repoOf('--repo', flags.repo)}`;
    out.push({
      claim: 'sourceRepositoryURI',
      expected: `source repository ${uri}`,
      holds: (v) => sameName(v, uri),
    });
  }
  if (flags.sourceRef !== undefined) {
    const ref = flags.sourceRef;
    if (ref === '') throw usage('--source-ref must name a ref, e.g. refs/heads/main');
    out.push({
      claim: 'sourceRepositoryRef',
      expected: `source ref ${ref}`,
      holds: (v) => v === ref,
    });
  }
  if (flags.sourceDigest !== undefined) {
    const hex = hexOf('--source-digest', flags.sourceDigest);
    out.push({
      claim: 'sourceRepositoryDigest',
      expected: `source digest ${hex}`,
      holds: (v) => v.toLowerCase() === hex,
    });
  }
  return out;
}

function signerRequirements(flags: GithubSignerFlags): ClaimRequirement[] {
  const out: ClaimRequirement[] = [];
  if (flags.signerWorkflow !== undefined) {
    out.push(signerWorkflowRequirement(flags.signerWorkflow));
  }
  if (flags.signerRepo !== undefined) {
    out.push(signerInRequirement(`${GITHUB}/${repoOf('--signer-repo', flags.signerRepo)}/`, ''));
  }
  if (flags.signerDigest !== undefined) {
    const hex = hexOf('--signer-digest', flags.signerDigest);
    out.push({
      claim: 'buildSignerDigest',
      expected: `signer digest ${hex}`,
      holds: (v) => v.toLowerCase() === hex,
    });
  }
  if (flags.denySelfHostedRunners === true) {
    out.push({
      claim: 'runnerEnvironment',
      expected: 'a GitHub-hosted runner',
      holds: (v) => v === 'github-hosted',
    });
  }
  return out;
}

/** Turns the GitHub signer flags into claim requirements; a malformed flag is a usage error. */
export function githubClaimRequirements(
  flags: GithubSignerFlags,
  options: GithubClaimOptions = {},
): ClaimRequirement[] {
  const out = [...sourceRequirements(flags), ...signerRequirements(flags)];
  const fallback = defaultSignerRequirement(flags, options);
  return fallback === undefined ? out : [...out, fallback];
}

/** Every requirement the claims fail, each naming what was expected and what the certificate says. */
export function claimProblems(
  claims: CertificateClaims,
  requirements: readonly ClaimRequirement[],
): string[] {
  return requirements.flatMap(({ claim, expected, holds }) => {
    const value = claims[claim];
    if (value === undefined)
      return [`expected ${expected}, but the certificate has no ${claim} claim`];
    return holds(value)
      ? []
      : [`expected ${expected}, but the certificate says ${JSON.stringify(value.slice(0, 200))}`];
  });
}
