// Language choice (zh-CN by default, kept in localStorage) and message lookup with {name} parameters.
import { zhCN, type MessageKey } from './zh-CN.ts';
import { en } from './en.ts';

export type Lang = 'zh-CN' | 'en';
export type { MessageKey };
const CATALOGUES: Record<Lang, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };
const STORE_KEY = 'shouwang.lang';

let current: Lang = readLang();

function readLang(): Lang {
  try {
    return localStorage.getItem(STORE_KEY) === 'en' ? 'en' : 'zh-CN';
  } catch {
    return 'zh-CN';
  }
}

export function lang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  current = l;
  document.documentElement.lang = l;
  try {
    localStorage.setItem(STORE_KEY, l);
  } catch {
    // private mode: the choice lasts for this page only
  }
}

export function t(key: MessageKey, params?: Record<string, string | number>): string {
  const text = CATALOGUES[current][key] ?? key;
  return params ? text.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m)) : text;
}

/** A message for a code from the API (error or reason), falling back to the server's own message. */
export function tCode(prefix: 'error' | 'reason', code: string | null | undefined, fallback?: string): string {
  const key = `${prefix}.${code ?? 'unknown'}` as MessageKey;
  if (key in CATALOGUES[current]) return t(key);
  return fallback ?? t(prefix === 'error' ? 'error.generic' : 'reason.unknown');
}

export function hasKey(key: string): key is MessageKey {
  return key in CATALOGUES[current];
}
