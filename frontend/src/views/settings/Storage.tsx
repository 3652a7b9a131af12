import { useEffect, useState } from 'react';
import { ApiError, errorText } from '../../api/client';
import { settingsApi } from '../../api/settings';
import type { StorageDir } from '../../api/wire.gen';
import { ErrorMessage } from '../../components/ErrorMessage';
import { ErrorText } from '../../components/Feedback';
import { useI18n, type MessageKey } from '../../i18n';
import { useDesktop } from '../../lib/desktop';
import { useApp } from '../../state';

/** Settings › Models › Storage: each folder models live in, and where new downloads go. */
export function Storage({ downloadDir, modelsDirs }: { downloadDir: string; /** Reloads the report when the models folders change. */ modelsDirs: string }) {
  const { t, fmt } = useI18n();
  const { saveSettings, status } = useApp();
  const desktop = useDesktop();
  // The dialog opens in the desktop window, so only that window offers it; a browser types.
  const canPick = desktop !== null && status?.features.folder_picker === true;
  const [dirs, setDirs] = useState<StorageDir[] | null>(null);
  const [error, setError] = useState('');
  const [reload, setReload] = useState(0);
  const [dir, setDir] = useState(downloadDir);
  const [saveError, setSaveError] = useState<unknown>('');
  const [busy, setBusy] = useState(false);

  useEffect(() => setDir(downloadDir), [downloadDir]);
  useEffect(() => {
    const ctrl = new AbortController();
    settingsApi
      .storage(ctrl.signal)
      .then((d) => {
        setDirs(d);
        setError('');
      })
      .catch((e: unknown) => {
        if (ctrl.signal.aborted) return;
        // An older server has no report: the folder setting still works.
        if (e instanceof ApiError && (e.status === 501 || e.status === 404)) setDirs([]);
        else setError(errorText(e));
      });
    return () => ctrl.abort();
  }, [reload, modelsDirs, downloadDir]);

  const apply = async (value: string) => {
    setBusy(true);
    setSaveError('');
    try {
      await saveSettings({ download_dir: value });
      setReload((n) => n + 1);
    } catch (e) {
      setSaveError(e);
    } finally {
      setBusy(false);
    }
  };

  // The folder chosen in the dialog is saved at once; the server checks it as a typed one.
  const pick = async () => {
    setBusy(true);
    setSaveError('');
    let path = '';
    try {
      path = (await settingsApi.pickDownloadDir(t('settings.downloadDirPickTitle'))).path;
    } catch (e) {
      setSaveError(e);
    } finally {
      setBusy(false);
    }
    if (path) {
      setDir(path);
      await apply(path);
    }
  };

  return (
    <div className="field storage">
      <span id="storage-label">{t('settings.storage')}</span>
      <span className="muted small">{t('settings.storageHint')}</span>
      <ErrorText error={error} />
      {dirs && (
        <ul className="storage-list" aria-labelledby="storage-label">
          {dirs.map((d) => (
            <li key={`${d.kind}:${d.path}`} className="storage-dir">
              <span className="storage-kind small">{t(`settings.storage.kind.${d.kind}` as MessageKey)}</span>
              <code className="storage-path">{d.path}</code>
              {d.error ? (
                <span className="error small">{t('settings.storage.unreadable', { error: d.error })}</span>
              ) : (
                <>
                  <span className="muted small">
                    {t(d.files === 1 ? 'settings.storage.usageOne' : 'settings.storage.usage', { used: fmt.bytes(d.used_bytes), files: fmt.number(d.files), free: fmt.bytes(d.free_bytes), total: fmt.bytes(d.total_bytes) })}
                  </span>
                  {d.total_bytes > 0 && (
                    <span className="storage-bar" aria-hidden="true">
                      <span style={{ width: `${Math.min(100, (100 * (d.total_bytes - d.free_bytes)) / d.total_bytes)}%` }} />
                    </span>
                  )}
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <label htmlFor="download-dir">{t('settings.downloadDir')}</label>
      <div className="row">
        <input
          id="download-dir"
          className="mono grow"
          value={dir}
          placeholder={dirs?.find((d) => d.kind === 'downloads')?.path ?? ''}
          aria-describedby="download-dir-hint"
          aria-invalid={saveError ? true : undefined}
          spellCheck={false}
          onChange={(e) => setDir(e.target.value)}
        />
        <button type="button" className="secondary small" disabled={busy || dir.trim() === downloadDir} onClick={() => void apply(dir.trim())}>
          {t('settings.downloadDirUse')}
        </button>
        {canPick && (
          <button type="button" className="secondary small" disabled={busy} onClick={() => void pick()}>
            {t('docs.chooseFolder')}
          </button>
        )}
      </div>
      <span id="download-dir-hint" className="muted small">
        {t('settings.downloadDirHint')}
      </span>
      {downloadDir && (
        <div className="row">
          <button type="button" className="text-button small" disabled={busy} onClick={() => void apply('')}>
            {t('settings.downloadDirDefault')}
          </button>
        </div>
      )}
      <ErrorMessage error={saveError} className="error small" />
    </div>
  );
}
