import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { killTree } from '../../sandbox/process';

/**
 * Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: JSON messages ended by a
 * NUL byte on fds 3 and 4 — no WebSocket client needed), with a profile of its own, so a test can do what a person
 * does in a browser: fill a form, keep a cookie, set the Web UI's settings, read what a page shows.
 */
export class Browser {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  private constructor(
    private readonly child: ChildProcess,
    private readonly profile: string,
  ) {
    let buffer = '';
    (child.stdio[4] as Readable).on('data', (d: Buffer) => {
      buffer += d.toString('utf8');
      for (let end = buffer.indexOf('\0'); end >= 0; end = buffer.indexOf('\0')) {
        const message = JSON.parse(buffer.slice(0, end)) as {
          id?: number;
          result?: unknown;
          error?: { message: string };
        };
        buffer = buffer.slice(end + 1);
        const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
        if (!waiter) continue;
        this.pending.delete(message.id!);
        if (message.error) waiter.reject(new Error(message.error.message));
        else waiter.resolve(message.result);
      }
    });
  }

  static launch(): Browser {
    const profile = mkdtempSync(join(tmpdir(), 'runway-chromium-'));
    const child = spawn(
      'chromium',
      ['--headless', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe', `--user-data-dir=${profile}`],
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
    );
    return new Browser(child, profile);
  }

  send<T = unknown>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    const id = this.nextId++;
    const message = JSON.stringify({ id, method, params, ...(sessionId && { sessionId }) });
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      (this.child.stdio[3] as Writable).write(message + '\0');
    });
  }

  async page(): Promise<Page> {
    const { targetId } = await this.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    return new Page(this, sessionId);
  }

  /**
   * Asks Chromium to close (it ends its helper processes and stops writing its profile), kills what is left of it
   * after 5 s, then removes the profile. A bare SIGKILL of the browser left helpers writing into the profile while it
   * was being removed (ENOTEMPTY).
   */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.send('Browser.close').catch(() => undefined);
      const timer = setTimeout(() => killTree(this.child.pid!, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}

/** One tab. */
export class Page {
  constructor(
    private readonly browser: Browser,
    private readonly sessionId: string,
  ) {}

  async goto(url: string): Promise<void> {
    await this.browser.send('Page.navigate', { url }, this.sessionId);
    if (!(await this.until(() => this.evaluate<boolean>(`document.readyState === 'complete'`)))) {
      throw new Error(`${url} did not load`);
    }
  }

  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.browser.send<{
      result: { value?: T };
      exceptionDetails?: { text: string };
    }>('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, this.sessionId);
    if (exceptionDetails) throw new Error(`in the page: ${exceptionDetails.text}`);
    return result.value as T;
  }

  /** What the page shows, as text. */
  text(): Promise<string> {
    return this.evaluate<string>('document.body ? document.body.innerText : ""');
  }

  /** Waits until `check` holds (polling every 250 ms) or `ms` pass; resolves whether it held. */
  async until(check: () => Promise<boolean>, ms = 30_000): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (await check().catch(() => false)) return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
