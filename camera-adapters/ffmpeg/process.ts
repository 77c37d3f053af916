// Runs a child process we own and stops it the one way we stop children: signal, wait, then SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  readonly exited: Promise<ExitInfo>;
  /** True once the process has exited (and been reaped by Node). */
  readonly hasExited: boolean;
  /** Last lines of stderr, for error reports. */
  stderrTail(): string;
  /** SIGTERM (or `signal`), wait up to graceMs, then SIGKILL; resolves when the process is gone. */
  stop(graceMs?: number, signal?: NodeJS.Signals): Promise<ExitInfo>;
}

export interface SpawnOptions {
  stdin?: 'pipe' | 'ignore';
  stdout?: 'pipe' | 'ignore';
  env?: NodeJS.ProcessEnv;
  /** Max stderr characters kept. */
  stderrKeep?: number;
}

export function spawnManaged(command: string, args: readonly string[], opts: SpawnOptions = {}): ManagedProcess {
  const child = spawn(command, args, {
    stdio: [opts.stdin ?? 'ignore', opts.stdout ?? 'ignore', 'pipe'],
    env: opts.env ?? process.env,
    detached: false,
  });
  const keep = opts.stderrKeep ?? 4000;
  let tail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    tail = (tail + d).slice(-keep);
  });
  let done = false;
  const exited = new Promise<ExitInfo>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (done) return;
      done = true;
      resolve({ code, signal });
    };
    child.once('exit', finish);
    // spawn failure (ENOENT) emits 'error' without 'exit'
    child.once('error', (e) => {
      tail += `\n${e.message}`;
      if (child.pid === undefined) finish(null, null);
    });
  });
  // a closed stdin (ffmpeg exiting first) must not crash the gateway
  child.stdin?.on('error', () => {});

  return {
    child,
    get pid() {
      return child.pid;
    },
    exited,
    get hasExited() {
      return done;
    },
    stderrTail: () => tail,
    async stop(graceMs = 3000, signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitInfo> {
      if (done) return exited;
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          if (!done) child.kill('SIGKILL');
          resolve();
        }, graceMs);
      });
      await Promise.race([exited, killed]);
      clearTimeout(timer);
      return exited;
    },
  };
}

/** Runs to completion, collecting stdout; kills the process if it outlives timeoutMs. */
export async function runToCompletion(
  command: string,
  args: readonly string[],
  opts: { timeoutMs: number; stdin?: Buffer; maxStdout?: number },
): Promise<{ exit: ExitInfo; stdout: Buffer; stderr: string; timedOut: boolean }> {
  const p = spawnManaged(command, args, { stdin: opts.stdin ? 'pipe' : 'ignore', stdout: 'pipe' });
  const chunks: Buffer[] = [];
  let size = 0;
  const max = opts.maxStdout ?? 16 * 1024 * 1024;
  p.child.stdout?.on('data', (d: Buffer) => {
    size += d.length;
    if (size <= max) chunks.push(d);
  });
  if (opts.stdin) p.child.stdin?.end(opts.stdin);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void p.stop(1000);
  }, opts.timeoutMs);
  const exit = await p.exited;
  clearTimeout(timer);
  // stdout may still hold buffered data after 'exit'
  if (p.child.stdout && !p.child.stdout.readableEnded) {
    await new Promise<void>((r) => {
      p.child.stdout?.once('end', r);
      p.child.stdout?.once('close', r);
      setTimeout(r, 500).unref();
    });
  }
  return { exit, stdout: Buffer.concat(chunks), stderr: p.stderrTail(), timedOut };
}
