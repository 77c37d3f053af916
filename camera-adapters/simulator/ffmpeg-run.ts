// Runs ffmpeg to completion with a deadline; every child is tracked so close() can kill it.
import { spawn, type ChildProcess } from 'node:child_process';

export class FfmpegError extends Error {
  readonly code = 'ffmpeg_failed';
  constructor(message: string) {
    super(message);
    this.name = 'FfmpegError';
  }
}

const STDERR_LIMIT = 4096;

export class FfmpegRunner {
  private readonly children = new Set<ChildProcess>();
  private closed = false;

  constructor(
    private readonly ffmpegPath: string,
    private readonly timeoutMs = 60_000,
  ) {}

  run(args: readonly string[]): Promise<void> {
    if (this.closed) return Promise.reject(new FfmpegError('runner closed'));
    return new Promise((resolve, reject) => {
      const child = spawn(this.ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      this.children.add(child);
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        if (stderr.length < STDERR_LIMIT) stderr += d.toString('utf8');
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), this.timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        this.children.delete(child);
        reject(new FfmpegError(`ffmpeg could not start: ${err.message}`));
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        this.children.delete(child);
        if (code === 0) resolve();
        else reject(new FfmpegError(`ffmpeg exited with ${signal ?? code}: ${stderr.trim().slice(0, 500)}`));
      });
    });
  }

  /** Signals every running child, then kills the ones still alive after a grace period. */
  async close(graceMs = 2000): Promise<void> {
    this.closed = true;
    const running = [...this.children];
    await Promise.all(
      running.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
            child.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}
