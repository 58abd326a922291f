// The network namespace through sudo: where unprivileged user namespaces are refused (GitHub's
// Ubuntu 24.04 runners restrict them with AppArmor) but passwordless sudo works, root makes the
// namespaces — no user namespace, so the host's own root — and the step goes back to the
// supervisor's uid, gid and groups with no capability and no new privileges (so it cannot use that
// user's sudo either). Nothing crosses sudo in its environment: sudo resets it (env_reset) and
// closes every descriptor past stderr, so the init gets only PATH from sudo and everything else —
// the step's environment included — over its stdin, the control channel.

/** The flags of the sudo route: those of the user-namespace route without `--user --map-root-user`. */
export const SUDO_UNSHARE_FLAGS = [
  '--net',
  '--mount',
  '--pid',
  '--fork',
  '--kill-child',
  '--mount-proc',
] as const;

/**
 * The PATH sudo is started with on this route. Where sudoers keeps the caller's PATH (no
 * `secure_path`), root would otherwise look `unshare`, `ip`, `mount`, `setpriv` and `sh` up in it —
 * directories the user, and so a step of an earlier run with the user's file rights, can write.
 */
export const ROOT_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** `sudo` never asks for a password (-n: fail instead) and takes no option after `--`. */
export const SUDO_PREFIX = ['-n', '--'] as const;

/** The argv (after `sudo`) that runs `command` in fresh net, mount and pid namespaces as root. */
export function sudoUnshareArgs(command: string, args: readonly string[]): string[] {
  return [...SUDO_PREFIX, 'unshare', ...SUDO_UNSHARE_FLAGS, command, ...args];
}

/** Who the step runs as: the supervisor's own identity. */
export interface StepIdentity {
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
}

/** This process's identity, for the step to go back to; undefined where it cannot be read. */
export function ownIdentity(): StepIdentity | undefined {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid === undefined || gid === undefined) return undefined;
  return { uid, gid, groups: process.getgroups?.() ?? [] };
}
