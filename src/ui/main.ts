import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Api, ApiError, describe, type Me } from './api.js';
import { ConfigFilesScreen } from './config-files.js';
import { DialplanScreen } from './dialplan.js';
import { HealthScreen } from './health.js';
import { HistoryScreen } from './history.js';
import { html } from './html.js';
import { LinesScreen } from './lines.js';
import { NodesScreen } from './nodes.js';
import { forgetToken, savedToken, saveToken } from './session.js';

/** The console's shell: sign in with a token, then one screen per hash route. */

const SCREENS = [
  { route: 'lines', title: 'Lines' },
  { route: 'dialplan', title: 'Dialplan' },
  { route: 'config-files', title: 'Config files' },
  { route: 'nodes', title: 'Nodes', optional: '/api/v1/nodes' },
  { route: 'history', title: 'History', optional: '/api/v1/history?limit=1' },
  { route: 'health', title: 'Health' },
] as const;
type Route = (typeof SCREENS)[number]['route'];

function currentRoute(): Route {
  const r = location.hash.replace(/^#\/?/, '');
  return (SCREENS.find((s) => s.route === r)?.route ?? 'lines');
}

function Login(props: { onSignedIn: (api: Api, me: Me) => void; error: unknown }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(props.error);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const api = new Api(token.trim());
    try {
      const me = await api.get<Me>('/api/v1/whoami');
      saveToken(api.token);
      props.onSignedIn(api, me);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<main class="login" id="main">
    <form class="card" onSubmit=${submit} aria-labelledby="login-title">
      <h1 id="login-title">ara-server console</h1>
      <p>Sign in with a management API token (<code>ara token create --scope read,write</code>).
        It is kept in this tab only, until you sign out or close it.</p>
      <div class="field">
        <label for="token">API token</label>
        <input id="token" type="password" autocomplete="off" spellcheck="false" value=${token} required
          aria-invalid=${error ? 'true' : undefined} aria-describedby=${error ? 'token-error' : undefined}
          onInput=${(e: Event) => setToken((e.currentTarget as HTMLInputElement).value)} />
        ${error ? html`<p class="field-error" id="token-error" role="alert">${error instanceof ApiError && error.status === 401 ? 'This token is not valid, or it was revoked.' : describe(error)}</p>` : null}
      </div>
      <div class="actions"><button type="submit" class="primary" disabled=${busy || token.trim() === ''}>Sign in</button></div>
    </form>
  </main>`;
}

function App() {
  const [session, setSession] = useState<{ api: Api; me: Me } | null>(null);
  const [checking, setChecking] = useState(savedToken() !== null);
  const [loginError, setLoginError] = useState<unknown>(null);
  const [route, setRoute] = useState<Route>(currentRoute());

  useEffect(() => {
    const on = () => setRoute(currentRoute());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  useEffect(() => {
    const t = savedToken();
    if (!t) return;
    const api = new Api(t);
    api.get<Me>('/api/v1/whoami').then(
      (me) => { setSession({ api, me }); setChecking(false); },
      (e) => { forgetToken(); setLoginError(e); setChecking(false); },
    );
  }, []);
  // Screens whose API this server may not have (push): shown only when it answers.
  const [offered, setOffered] = useState<Set<string>>(new Set());
  useEffect(() => {
    if (!session) return;
    for (const sc of SCREENS) {
      if (!('optional' in sc)) continue;
      session.api.get(sc.optional).then(() => setOffered((o) => new Set([...o, sc.route])), () => undefined);
    }
  }, [session]);
  useEffect(() => {
    document.title = `${SCREENS.find((s) => s.route === route)!.title} · ara-server`;
  }, [route]);

  if (checking) return html`<main class="login" id="main"><p role="status">Signing in…</p></main>`;
  if (!session) return html`<${Login} error=${loginError} onSignedIn=${(api: Api, me: Me) => setSession({ api, me })} />`;
  const { api, me } = session;
  const signOut = () => {
    forgetToken();
    setSession(null);
    setLoginError(null);
  };
  return html`<div class="shell">
    <a class="skip" href="#main" onClick=${(e: Event) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
    <header class="top">
      <span class="brand">ara-server</span>
      <nav aria-label="Screens"><ul>
        ${SCREENS.filter((s) => !('optional' in s) || offered.has(s.route)).map((s) => html`<li><a href=${`#/${s.route}`} aria-current=${route === s.route ? 'page' : undefined}>${s.title}</a></li>`)}
      </ul></nav>
      <div class="who">
        <span title="the token's name and scopes">${me.name ?? me.id} · <span data-testid="scopes">${me.scopes.join(', ')}</span></span>
        <button type="button" class="small" onClick=${signOut}>Sign out</button>
      </div>
    </header>
    <main id="main" tabIndex="-1">
      ${route === 'dialplan' ? html`<${DialplanScreen} api=${api} scopes=${me.scopes} />`
        : route === 'config-files' ? html`<${ConfigFilesScreen} api=${api} scopes=${me.scopes} />`
        : route === 'nodes' && offered.has('nodes') ? html`<${NodesScreen} api=${api} scopes=${me.scopes} />`
        : route === 'history' && offered.has('history') ? html`<${HistoryScreen} api=${api} scopes=${me.scopes} />`
        : route === 'health' ? html`<${HealthScreen} api=${api} />`
        : html`<${LinesScreen} api=${api} scopes=${me.scopes} />`}
    </main>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app')!);
