// The shell: login, who I am, navigation by role, language switch, logout; a 401 anywhere returns to login
// and, after logging in again, to the same page with its query (the page's state).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, setUnauthenticatedHandler, type Me, type Jurisdiction } from './api/client.ts';
import { EventStream } from './api/events.ts';
import { ShellContext, type Shell } from './context.ts';
import { lang, setLang, t, type MessageKey } from './i18n/index.ts';
import { forget, logout, rememberReturn, resume, takeReturn } from './session.ts';
import { LoginPage } from './pages/login.tsx';
import { MapPage } from './pages/map.tsx';
import { lazyPage } from './ui.tsx';

type PageId = 'map' | 'live' | 'request' | 'inbox' | 'grants' | 'enrol' | 'owner' | 'audit' | 'playback' | 'tracing';
type Role = Me['user']['role'];

const PAGES_BY_ROLE: Record<Role, PageId[]> = {
  officer: ['map', 'live', 'request', 'grants', 'playback', 'tracing'],
  investigator: ['map', 'live', 'request', 'grants', 'playback', 'tracing'],
  duty_officer: ['map', 'live', 'inbox', 'request', 'grants', 'playback', 'tracing'],
  village_committee: ['map', 'enrol', 'live'],
  household_owner: ['owner'],
  auditor: ['audit'],
  system_admin: ['map', 'enrol', 'audit'],
};

const PAGES: Record<PageId, ReturnType<typeof lazyPage>> = {
  map: MapPage as ReturnType<typeof lazyPage>,
  live: lazyPage(() => import('./pages/live.tsx').then((m) => m.LivePage)),
  request: lazyPage(() => import('./pages/request.tsx').then((m) => m.RequestPage)),
  inbox: lazyPage(() => import('./pages/inbox.tsx').then((m) => m.InboxPage)),
  grants: lazyPage(() => import('./pages/my-grants.tsx').then((m) => m.MyGrantsPage)),
  enrol: lazyPage(() => import('./pages/enrol.tsx').then((m) => m.EnrolPage)),
  owner: lazyPage(() => import('./pages/owner.tsx').then((m) => m.OwnerPage)),
  audit: lazyPage(() => import('./pages/audit.tsx').then((m) => m.AuditPage)),
  playback: lazyPage(() => import('./pages/playback.tsx').then((m) => m.PlaybackPage)),
  tracing: lazyPage(() => import('./pages/tracing.tsx').then((m) => m.TracingPage)),
};

function here(): string {
  return location.pathname + location.search;
}

export function App() {
  const [, setLangTick] = useState(lang());
  const [me, setMe] = useState<Me | null>(null);
  const [booting, setBooting] = useState(true);
  const [expired, setExpired] = useState(false);
  const [loc, setLoc] = useState(here());
  const [jurisdictions, setJurisdictions] = useState<Map<string, Jurisdiction>>(new Map());
  const [viewerConfig, setViewerConfig] = useState<{ tileUrl: string | null }>({ tileUrl: null });
  const [events, setEvents] = useState<EventStream | null>(null);
  const [live, setLive] = useState(true);
  // phones: the navigation folds behind a menu button, and closes again on every navigation
  const [menuOpen, setMenuOpen] = useState(false);

  const navigate = (path: string, replace = false) => {
    if (replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
    setMenuOpen(false);
    setLoc(here());
  };

  useEffect(() => {
    document.documentElement.lang = lang();
    const onPop = () => setLoc(here());
    addEventListener('popstate', onPop);
    setUnauthenticatedHandler(() => {
      const p = here();
      if (!p.startsWith('/login')) rememberReturn(p);
      forget();
      setExpired(true);
      setMe(null);
    });
    void resume().then((m) => { setMe(m); setBooting(false); });
    return () => removeEventListener('popstate', onPop);
  }, []);

  useEffect(() => {
    if (!me) return;
    const es = new EventStream(localStorage.getItem('shouwang.session') ?? '');
    const offStatus = es.onStatus(setLive);
    const offEv = es.on((e) => {
      if (e.type === 'unauthenticated') { rememberReturn(here()); forget(); setExpired(true); setMe(null); }
    });
    setEvents(es);
    // a hook for browser tests: drop the socket as a network failure would
    (window as unknown as { shouwangEvents: EventStream }).shouwangEvents = es;
    void api('get', '/api/v1/jurisdictions').then((r) => setJurisdictions(new Map(r.items.map((j) => [j.id, j]))), () => undefined);
    void fetch('/api/v1/viewer-config').then((r) => (r.ok ? r.json() : null)).then((c: { tileUrl: string | null } | null) => c && setViewerConfig(c), () => undefined);
    return () => { offStatus(); offEv(); es.close(); setEvents(null); };
  }, [me]);

  const pages = me ? PAGES_BY_ROLE[me.user.role] : [];
  const url = new URL(loc, location.origin);
  const requested = url.pathname.replace(/^\/+/, '').split('/')[0] as PageId;
  const pageId: PageId | null = pages.includes(requested) ? requested : (pages[0] ?? null);

  useEffect(() => {
    if (me && pageId && requested !== pageId) navigate(`/${pageId}`, true);
  }, [me, pageId, requested]);

  const shell: Shell | null = useMemo(() => (me && events ? {
    me, events, navigate, path: url.pathname, query: url.searchParams, jurisdictions, viewerConfig,
  } : null), [me, events, loc, jurisdictions, viewerConfig]);

  const switchLang = () => {
    setLang(lang() === 'zh-CN' ? 'en' : 'zh-CN');
    setLangTick(lang());
  };

  if (booting) return <div class="loading">{t('common.loading')}</div>;
  if (!me) {
    return <LoginPage expired={expired} onSwitchLang={switchLang} onLogin={(m) => {
      setExpired(false);
      setMe(m);
      // back to the page the session expired on, or to the address that was opened
      const back = takeReturn() ?? (location.pathname.startsWith('/login') ? '/' : here());
      navigate(back, true);
    }} />;
  }
  if (!shell || !pageId) return <div class="loading">{t('common.loading')}</div>;
  const Page = PAGES[pageId];
  return (
    <ShellContext.Provider value={shell}>
      <div class="shell">
        <header class={`topbar ${menuOpen ? 'menu-open' : ''}`}>
          <div class="brand"><span class="logo" lang="zh-CN">{t('app.logo')}</span><span>{t('app.name')}</span><small>{t('app.tagline')}</small></div>
          <span class="current-page">{t(`nav.${pageId}` as MessageKey)}</span>
          <button class="menu-toggle" aria-expanded={menuOpen} aria-controls="main-nav" aria-label={t('nav.menu')} title={t('nav.menu')}
            data-testid="menu" onClick={() => setMenuOpen((o) => !o)}>☰</button>
          <nav id="main-nav">
            {pages.map((p) => (
              <a key={p} href={`/${p}`} class={p === pageId ? 'active' : ''} data-page={p}
                onClick={(e) => { e.preventDefault(); navigate(`/${p}`); }}>{t(`nav.${p}` as MessageKey)}</a>
            ))}
          </nav>
          <div class="who">
            <span class={`dot ${live ? 'up' : 'down'}`} title={live ? t('common.connected') : t('common.reconnecting')} />
            <span class="name" data-testid="whoami">{me.user.displayName}</span>
            <span class="role">{t(`role.${me.user.role}` as MessageKey)} · {me.jurisdiction.name}</span>
            <button class="link" onClick={switchLang} data-testid="lang" lang={lang() === 'zh-CN' ? 'en' : 'zh-CN'}>{t('lang.switch')}</button>
            <button class="link" onClick={() => void logout().then(() => { setMe(null); navigate('/login', true); })}>{t('nav.logout')}</button>
          </div>
        </header>
        {!live && <div class="banner warn">{t('common.reconnecting')}</div>}
        <main class={`page page-${pageId}`}><Page /></main>
      </div>
    </ShellContext.Provider>
  );
}
