// The logged-in session: bearer token kept in localStorage, who I am, and where to return after a re-login.
import { api, setToken, type Me } from './api/client.ts';
import { dropPrefetchedMapCameras, prefetchMapCameras } from './map/map-cameras.ts';

const TOKEN_KEY = 'shouwang.session';
const RETURN_KEY = 'shouwang.returnTo';

export function storedToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export async function login(username: string, password: string): Promise<Me> {
  const r = await api('post', '/api/v1/auth/login', { body: { username, password } });
  localStorage.setItem(TOKEN_KEY, r.token);
  setToken(r.token);
  prefetchForPage();
  return api('get', '/api/v1/me');
}

export async function resume(): Promise<Me | null> {
  const tok = storedToken();
  if (!tok) return null;
  setToken(tok);
  try {
    prefetchForPage();
    return await api('get', '/api/v1/me');
  } catch {
    forget();
    return null;
  }
}

// The pages that open on the camera listing: load it beside /me rather than after it.
function prefetchForPage(): void {
  if (/^\/(map|live|request|inbox)?(\/|$)/.test(location.pathname)) prefetchMapCameras();
}

export function forget(): void {
  setToken(null);
  dropPrefetchedMapCameras();
  try {
    localStorage.removeItem(TOKEN_KEY);
  } catch {
    // nothing stored
  }
}

export async function logout(): Promise<void> {
  try {
    await api('post', '/api/v1/auth/logout');
  } catch {
    // the session may already be gone; forget it either way
  }
  forget();
}

/** The page (path and query) to come back to after logging in again. */
export function rememberReturn(path: string): void {
  sessionStorage.setItem(RETURN_KEY, path);
}
export function takeReturn(): string | null {
  const p = sessionStorage.getItem(RETURN_KEY);
  sessionStorage.removeItem(RETURN_KEY);
  return p && p.startsWith('/') && !p.startsWith('//') ? p : null;
}
