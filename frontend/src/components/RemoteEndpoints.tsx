import { useCallback, useEffect, useState, type KeyboardEvent } from 'react';
import { errorText } from '../api/client';
import { remotes, type FoundRemote as Found } from '../api/remotes';
import type { RemoteEndpoint } from '../api/types';
import { ErrorText } from './Feedback';
import { useI18n } from '../i18n';
import { useApp } from '../state';

/**
 * Settings' "Remote endpoints": servers on other machines (vLLM, llama-server, LM Studio,
 * Ollama, another Perch) whose models join the picker as NAME/model. It sits inside the
 * settings form, so it has no form of its own: Enter in its fields adds instead of saving.
 */
export function RemoteEndpoints() {
  const { t } = useI18n();
  const { refreshModels } = useApp();
  const [list, setList] = useState<RemoteEndpoint[] | null>(null);
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [found, setFound] = useState<Found[] | null>(null);
  const [looking, setLooking] = useState(false);

  const load = useCallback(async () => {
    try {
      setList(await remotes.list());
    } catch (e) {
      setError(errorText(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const add = async () => {
    setBusy(true);
    setError('');
    try {
      await remotes.add({ name: name.trim(), url: url.trim(), api_key: key.trim() || undefined });
      setName('');
      setUrl('');
      setKey('');
      await Promise.all([load(), refreshModels()]);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const remove = async (n: string) => {
    setError('');
    try {
      await remotes.remove(n);
      await Promise.all([load(), refreshModels()]);
    } catch (e) {
      setError(errorText(e));
    }
  };
  const look = async () => {
    setLooking(true);
    setError('');
    try {
      setFound(await remotes.discover());
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLooking(false);
    }
  };
  // One click fills the form; the other Perch's API key is asked for once, here.
  const use = (f: Found) => {
    setName(f.suggested);
    setUrl(f.url);
    setFound(null);
  };
  const enter = (e: KeyboardEvent) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      if (name && url && !busy) void add();
    }
  };

  return (
    <fieldset className="section remote-endpoints">
      <legend className="section-title">{t('remote.title')}</legend>
      <p className="muted small">{t('remote.hint')}</p>
      {list && list.length === 0 && <p className="muted small">{t('remote.none')}</p>}
      {list && list.length > 0 && (
        <ul className="remote-list" aria-label={t('remote.title')}>
          {list.map((r) => (
            <li key={r.name} className="row">
              <span className={r.health.reachable ? 'tag ok' : 'tag warn'}>
                {r.health.reachable ? t('remote.up', { ms: Math.round(r.health.latency_ms) }) : t('remote.down')}
              </span>
              <strong>{r.name}</strong>
              <span className="muted small">
                {r.url} · {r.kind} · {t('remote.models', { n: r.models.length })}
              </span>
              <span className="spacer" />
              <button type="button" onClick={() => void remove(r.name)} aria-label={t('remote.remove', { name: r.name })}>
                {t('common.delete')}
              </button>
              {r.health.last_error && <p className="error small">{r.health.last_error}</p>}
            </li>
          ))}
        </ul>
      )}
      <div className="grid2">
        <label className="field">
          <span>{t('remote.name')}</span>
          <input value={name} onChange={(e) => setName(e.target.value)} onKeyDown={enter} placeholder="studio" autoComplete="off" />
        </label>
        <label className="field">
          <span>{t('remote.url')}</span>
          <input value={url} onChange={(e) => setUrl(e.target.value)} onKeyDown={enter} placeholder="http://studio.local:11435" autoComplete="off" />
        </label>
        <label className="field">
          <span>{t('remote.key')}</span>
          <input type="password" value={key} onChange={(e) => setKey(e.target.value)} onKeyDown={enter} autoComplete="off" />
        </label>
      </div>
      {found && found.length === 0 && <p className="muted small">{t('remote.foundNone')}</p>}
      {found && found.length > 0 && (
        <ul className="remote-list" aria-label={t('remote.found')}>
          {found.map((f) => (
            <li key={f.url} className="row">
              <strong>{f.name}</strong>
              <span className="muted small">{f.url}</span>
              <span className="spacer" />
              <button type="button" onClick={() => use(f)}>
                {t('remote.use')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="row end">
        <button type="button" className="text-button" onClick={() => void look()} disabled={looking}>
          {looking ? t('remote.looking') : t('remote.look')}
        </button>
        <button type="button" className="secondary" onClick={() => void add()} disabled={!name || !url || busy}>
          {busy ? t('remote.adding') : t('remote.add')}
        </button>
      </div>
      <ErrorText error={error} />
    </fieldset>
  );
}
