// What every page gets from the shell: who I am, the events socket, navigation, and the jurisdiction names.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me, Jurisdiction } from './api/client.ts';
import type { EventStream } from './api/events.ts';

export interface Shell {
  me: Me;
  events: EventStream;
  navigate(path: string, replace?: boolean): void;
  path: string;
  query: URLSearchParams;
  jurisdictions: Map<string, Jurisdiction>;
  viewerConfig: { tileUrl: string | null };
}

export const ShellContext = createContext<Shell | null>(null);

export function useShell(): Shell {
  const s = useContext(ShellContext);
  if (!s) throw new Error('useShell outside the shell');
  return s;
}

export function stationName(shell: Shell, id: string | null | undefined): string {
  if (!id) return '—';
  return shell.jurisdictions.get(id)?.name ?? id.slice(0, 8);
}
