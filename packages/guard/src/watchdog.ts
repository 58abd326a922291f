// The watchdog of a step run without a pid namespace: a small shell, in a session of its own and
// deaf to SIGINT/SIGTERM/SIGHUP, reading a pipe from the supervisor. If the pipe closes without the
// supervisor's "done" — the supervisor was killed, crashed, or its caller never reaped — it kills
// what the supervisor would have: the step's cgroup (either version), its process group, and every
// process of this user carrying the step's marker. So the tree is not left running (fail closed).
import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { CgroupParent } from './cgroup-common.js';
import { STEP_MARK_VARIABLE } from './process-tree.js';

/** $1 cgroup version (0: none), $2 the step's cgroup, $3 its process group, $4 its marker. */
const WATCHDOG_SCRIPT = `
version=$1 cgroup=$2 group=$3 mark=$4
trap '' INT TERM HUP
read -r word || word=
[ "$word" = done ] && exit 0
kill -KILL "-$group" 2>/dev/null
sweep() {
  for d in /proc/[0-9]*; do
    [ -O "$d" ] && grep -qxzF "${STEP_MARK_VARIABLE}=$mark" "$d/environ" 2>/dev/null &&
      kill -KILL "\${d#/proc/}" 2>/dev/null
  done
}
sweep
i=0
while [ "$version" != 0 ] && [ $i -lt 250 ]; do
  if [ "$version" = 2 ]; then
    echo 1 > "$cgroup/cgroup.kill" 2>/dev/null
  else
    echo FROZEN > "$cgroup/freezer.state" 2>/dev/null
    j=0
    while [ $j -lt 50 ] && [ "$(cat "$cgroup/freezer.state" 2>/dev/null)" = FREEZING ]; do
      sleep 0.02; j=$((j + 1))
    done
    for p in $(find "$cgroup" -name cgroup.procs -exec cat {} + 2>/dev/null); do
      kill -KILL "$p" 2>/dev/null
    done
    echo THAWED > "$cgroup/freezer.state" 2>/dev/null
  fi
  find "$cgroup" -depth -type d -exec rmdir {} + 2>/dev/null
  [ -d "$cgroup" ] || break
  i=$((i + 1)); sleep 0.02
done
sweep
`;

export interface Watchdog {
  /** The supervisor ended the tree itself: the watchdog leaves quietly. */
  release(): void;
}

/** Starts the watchdog of one plain step (its root `pgid`, its cgroup if any, its marker). */
export function startWatchdog(options: {
  readonly pgid: number;
  readonly cgroup: { readonly parent: CgroupParent; readonly path: string } | undefined;
  readonly mark: string;
}): Watchdog {
  const { cgroup } = options;
  const child = spawn(
    'sh',
    [
      '-c',
      WATCHDOG_SCRIPT,
      'sathos-watchdog',
      String(cgroup?.parent.version ?? 0),
      cgroup?.path ?? '',
      String(options.pgid),
      options.mark,
    ],
    {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    },
  );
  child.on('error', () => undefined);
  const input = child.stdin as Writable & { unref?: () => void };
  input.on('error', () => undefined);
  // Neither keeps the supervisor alive: the pipe closing when it exits is the watchdog's cue.
  child.unref();
  input.unref?.();
  return {
    release: () => {
      if (!input.destroyed) input.end('done\n');
    },
  };
}
