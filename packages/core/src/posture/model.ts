// The posture of a repository's workflows at the verified commit: what every job may do (its token
// permissions, secrets, environment, runner) and what it runs (every `uses:`, every expression in a
// shell). Built by the runner edge from GitHub's own workflow parser; judged here, without I/O.

/** The GITHUB_TOKEN scopes GitHub's workflow schema knows (`permissions:` keys). */
export const PERMISSION_SCOPES = [
  'actions',
  'artifact-metadata',
  'attestations',
  'checks',
  'code-quality',
  'contents',
  'copilot-requests',
  'deployments',
  'discussions',
  'drives',
  'id-token',
  'issues',
  'models',
  'packages',
  'pages',
  'pull-requests',
  'repository-projects',
  'security-events',
  'statuses',
  'vulnerability-alerts',
] as const;
export type PermissionScope = (typeof PERMISSION_SCOPES)[number];
export type PermissionLevel = 'read' | 'write' | 'none';

/** Every scope with its level: undeclared scopes of a `permissions:` mapping are `none`. */
export type ScopeLevels = Readonly<Record<PermissionScope, PermissionLevel>>;

/**
 * Where a job's token permissions come from. `default`: nothing declared anywhere, so the token
 * gets the repository's default, which the workflow cannot show; it is counted as `write-all`.
 */
export type PermissionSource = 'job' | 'workflow' | 'caller' | 'default';

export interface JobPermissions {
  readonly source: PermissionSource;
  /** The effective level of every scope (after a reusable workflow's caller capped it). */
  readonly scopes: ScopeLevels;
  /** The line of the `permissions:` that decided them, when declared. */
  readonly line?: number;
  /** The shorthand written there, when one was. */
  readonly shorthand?: 'read-all' | 'write-all';
}

/**
 * How a `uses:` names what it runs. `sha`: a full commit id (immutable); `tag`/`branch`: a
 * movable name (`v4`, `v1.2.3` read as tags, anything else as a branch); `short-sha`: an
 * abbreviated id (ambiguous, movable by a colliding push); `local`: a path in this repository
 * at the verified commit; `docker`: an image, `digest` when pinned by `@sha256:`.
 */
export type RefKind = 'sha' | 'short-sha' | 'tag' | 'branch' | 'local' | 'docker' | 'docker-digest';

export interface UsesRef {
  /** Exactly as written, e.g. `actions/checkout@v4`, `./.github/actions/setup`, `docker://alpine:3`. */
  readonly raw: string;
  readonly kind: RefKind;
  /** `owner/repo` for a remote action or workflow; absent for local and docker. */
  readonly repository?: string;
  /** The path inside the repository (`sub/dir`, `.github/workflows/x.yml`), '' for the root. */
  readonly path?: string;
  /** The ref after `@` (remote), the image reference (docker). */
  readonly ref?: string;
  /** `actions/*`, `github/*` or the repository's own owner: maintained by GitHub or by the repository's owners. */
  readonly firstParty: boolean;
  /** A full SHA, a local path or a docker digest: cannot move without a new commit here. */
  readonly pinned: boolean;
  /** A reusable workflow (job-level `uses:`) rather than an action (step-level). */
  readonly workflow: boolean;
}

/** A `${{ }}` read of a context, e.g. `github.event.issue.title`, `secrets.NPM_TOKEN`. */
export interface ContextRead {
  /** Dotted, lowercase; a computed index is `*`. */
  readonly path: string;
  readonly line: number;
  readonly col: number;
}

/** One `with:` input of a step. */
export interface StepInput {
  /** The literal text, or the expression source when it holds `${{ }}`. */
  readonly text: string;
  /** The context reads whose value lands in the input (not those only compared). */
  readonly reads: readonly ContextRead[];
  readonly line: number;
}

export interface StepModel {
  readonly line: number;
  readonly col: number;
  readonly name?: string;
  readonly uses?: UsesRef;
  /** `with:` by input name (lowercase). */
  readonly with: Readonly<Record<string, StepInput>>;
  /** The shell script of a `run:` step, as written. */
  readonly run?: string;
  /** Context reads spliced into the script of a `run:` step. */
  readonly runReads: readonly ContextRead[];
  /** The file the step is written in (a composite action's `action.yml` for its steps). */
  readonly file: string;
  /** The local composite actions this step was reached through, outermost first. */
  readonly via: readonly string[];
}

/** A workflow trigger (`on:`) with its activity types when filtered. */
export interface TriggerModel {
  readonly event: string;
  readonly types?: readonly string[];
}

export interface JobModel {
  /** The job's key; a job of a called local workflow is `caller/called`. */
  readonly id: string;
  /** The workflow file whose triggers start it (the caller's for a called workflow). */
  readonly workflow: string;
  /** The file the job is written in. */
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly permissions: JobPermissions;
  /** `secrets.NAME` read anywhere in the job, or passed to a called workflow; `*` for `secrets: inherit`. */
  readonly secrets: readonly string[];
  /** The deployment environment's name (its expression source when computed). */
  readonly environment?: string;
  /** Runner labels; an expression label is kept as written. */
  readonly runsOn: readonly string[];
  /** Runs on a self-hosted runner (the `self-hosted` label, or a label that cannot be known). */
  readonly selfHosted: boolean;
  /** A job-level `uses:` (a reusable workflow call) and where it is written. */
  readonly calls?: UsesRef;
  readonly callsAt?: { readonly line: number; readonly col: number };
  readonly steps: readonly StepModel[];
}

export interface WorkflowFileModel {
  /** Repository-relative, e.g. `.github/workflows/ci.yml`. */
  readonly path: string;
  readonly triggers: readonly TriggerModel[];
  /** Only `workflow_call` triggers: the file is a reusable workflow. */
  readonly reusable: boolean;
  /** SHA-256 hex of the file's bytes at the commit. */
  readonly sha256: string;
}

/** One node of the action graph: something a workflow runs, where it is used, and what it resolved to. */
export interface ActionNode {
  /** `owner/repo[/path]@ref`, `./local/path`, or `docker://image`. */
  readonly uses: string;
  readonly kind: RefKind;
  readonly workflow: boolean;
  /** `actions/*`, `github/*` or the repository's own owner (local ones too). */
  readonly firstParty: boolean;
  /** The commit the ref named when resolved (always for `sha`); absent when unresolved. */
  readonly sha?: string;
  /** What brought it in: the `uses` of the composite action or workflow that runs it; absent when direct. */
  readonly via?: string;
}

export interface PostureModel {
  /** `owner/repo`, when known; its owner's actions count as first-party. */
  readonly repository?: string;
  /** The commit the workflows were read at. */
  readonly commit?: string;
  readonly files: readonly WorkflowFileModel[];
  readonly jobs: readonly JobModel[];
  readonly actions: readonly ActionNode[];
}
