import { useState } from 'preact/hooks';
import type { Me } from '../api/client.ts';
import { login } from '../session.ts';
import { lang, t } from '../i18n/index.ts';
import { ErrorLine } from '../ui.tsx';

export function LoginPage({ expired, onLogin, onSwitchLang }: { expired: boolean; onLogin: (m: Me) => void; onSwitchLang: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLogin(await login(username.trim(), password));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="login-wrap">
      <form class="login card" onSubmit={submit}>
        <div class="brand big"><span class="logo" lang="zh-CN">{t('app.logo')}</span><span>{t('app.name')}</span></div>
        <p class="muted">{t('app.tagline')}</p>
        {expired && <div class="banner info">{t('login.expired')}</div>}
        <label>{t('login.username')}<input name="username" autoComplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required /></label>
        <label>{t('login.password')}<input name="password" type="password" autoComplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required /></label>
        <ErrorLine error={error} />
        <button type="submit" class="primary" disabled={busy}>{busy ? t('login.busy') : t('login.submit')}</button>
        <button type="button" class="link" onClick={onSwitchLang} lang={lang() === 'zh-CN' ? 'en' : 'zh-CN'}>{t('lang.switch')}</button>
      </form>
    </div>
  );
}
