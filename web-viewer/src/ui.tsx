// Small shared pieces: an API error in the user's language with its code, status badges, lazy pages.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api/client.ts';
import { t, tCode, hasKey } from './i18n/index.ts';

export function errorText(e: unknown): string {
  if (e instanceof ApiError && e.reason && hasKey(`reason.${e.reason}`)) return t('common.errorWithCode', { message: tCode('reason', e.reason), code: e.reason });
  if (e instanceof ApiError) return t('common.errorWithCode', { message: tCode('error', e.code, e.message), code: e.code });
  return t('error.generic');
}

export function ErrorLine({ error }: { error: unknown }) {
  if (!error) return null;
  // the server's own message on hover, for support staff reading a screenshot
  return <div class="error" role="alert" data-code={error instanceof ApiError ? error.code : 'generic'} title={error instanceof Error ? error.message : ''}>{errorText(error)}</div>;
}

export function StateBadge({ state }: { state: string }) {
  const key = `state.${state}`;
  return <span class={`badge state-${state}`}>{hasKey(key) ? t(key) : state}</span>;
}

export function GrantStateBadge({ state }: { state: string }) {
  const key = `grant.state.${state}`;
  return <span class={`badge grant-${state}`}>{hasKey(key) ? t(key) : state}</span>;
}

/** A page module loaded on first use, so the first page ships only what it needs. */
export function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let cached: ComponentType<P> | null = null;
  return function Lazy(props: P) {
    const [C, setC] = useState<ComponentType<P> | null>(() => cached);
    useEffect(() => {
      if (!cached) void load().then((c) => { cached = c; setC(() => c); });
    }, []);
    return C ? <C {...props} /> : <div class="loading">{t('common.loading')}</div>;
  };
}

export function useAsync<T>(fn: () => Promise<T>, deps: unknown[]): { data: T | null; error: unknown; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    fn().then((d) => { if (live) { setData(d); setError(null); } }, (e: unknown) => { if (live) setError(e); });
    return () => { live = false; };
  }, [...deps, n]);
  return { data, error, reload: () => setN((x) => x + 1) };
}
