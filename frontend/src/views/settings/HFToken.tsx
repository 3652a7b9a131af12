import { useEffect, useState } from 'react';
import { ApiError, errorText } from '../../api/client';
import { settingsApi } from '../../api/settings';
import type { HFTokenView } from '../../api/wire.gen';
import { ErrorText } from '../../components/Feedback';
import { useI18n } from '../../i18n';

/** Settings › Privacy: the Hugging Face token, set, replaced or removed; never shown in full. */
export function HFToken() {
  const { t } = useI18n();
  const [view, setView] = useState<HFTokenView | null>(null);
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [unavailable, setUnavailable] = useState(false);

  useEffect(() => {
    const ctrl = new AbortController();
    settingsApi
      .hfToken(ctrl.signal)
      .then(setView)
      .catch((e: unknown) => {
        if (ctrl.signal.aborted) return;
        if (e instanceof ApiError && (e.status === 501 || e.status === 404)) setUnavailable(true); // an older server
        else setError(errorText(e));
      });
    return () => ctrl.abort();
  }, []);
  if (unavailable) return null;

  const run = async (f: () => Promise<HFTokenView>) => {
    setBusy(true);
    setError('');
    try {
      setView(await f());
      setToken('');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const state = !view?.set
    ? t('settings.hfTokenNone')
    : view.source === 'environment'
      ? t('settings.hfTokenEnv', { last4: view.last4 ?? '' })
      : t('settings.hfTokenSet', { last4: view.last4 ?? '' });
  return (
    <div className="field hf-token">
      <label htmlFor="hf-token">{t('settings.hfToken')}</label>
      <span className="muted small" role="status">
        {state}
      </span>
      <div className="row">
        <input
          id="hf-token"
          type="password"
          className="mono grow"
          autoComplete="off"
          spellCheck={false}
          placeholder={t('settings.hfTokenPlaceholder')}
          aria-describedby="hf-token-hint"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          onKeyDown={(e) => {
            // Enter saves the token, not the whole settings form.
            if (e.key === 'Enter') {
              e.preventDefault();
              if (token.trim()) void run(() => settingsApi.setHFToken(token));
            }
          }}
        />
        <button type="button" className="secondary small" disabled={busy || !token.trim()} onClick={() => void run(() => settingsApi.setHFToken(token))}>
          {t('settings.hfTokenSave')}
        </button>
        {view?.set && view.source === 'settings' && (
          <button type="button" className="text-button small" disabled={busy} onClick={() => void run(() => settingsApi.clearHFToken())}>
            {t('settings.hfTokenRemove')}
          </button>
        )}
      </div>
      <span id="hf-token-hint" className="muted small">
        {t('settings.hfTokenHint')}
      </span>
      <ErrorText error={error} />
    </div>
  );
}
