import { useState } from 'react';
import { models, uploads } from '../../api/models';
import { ErrorMessage } from '../../components/ErrorMessage';
import type { Upload } from '../../api/types';
import { DropZone } from '../../components/DropZone';
import { ProgressBar } from '../../components/ProgressBar';
import { useI18n } from '../../i18n';
import { useApp } from '../../state';

// Chunks stay well under the server's request-size limit; each one moves the progress bar.
const CHUNK = 8 << 20;

/**
 * Import a local GGUF. A browser page never learns a dropped or picked file's path, so those
 * are uploaded in chunks; a path typed here is read by the server directly (no copy through
 * the browser, the better way for big files).
 */
export function Import() {
  const { t } = useI18n();
  const { refreshModels } = useApp();
  const [progress, setProgress] = useState<{ name: string; value: number } | null>(null);
  const [message, setMessage] = useState('');
  const [error, setError] = useState<unknown>('');
  const [path, setPath] = useState('');

  const upload = async (file: File) => {
    setError('');
    setMessage('');
    if (!file.name.toLowerCase().endsWith('.gguf')) {
      setError(t('models.notGGUF'));
      return;
    }
    let up: Upload | undefined;
    try {
      up = await uploads.start({ filename: file.name, size: file.size });
      setProgress({ name: up.name, value: 0 });
      for (let off = 0; off < file.size; off += CHUNK) {
        await uploads.put(up.id, off, file.slice(off, off + CHUNK));
        setProgress({ name: up.name, value: Math.min(1, (off + CHUNK) / file.size) });
      }
      await uploads.finish(up.id);
      setMessage(t('models.imported', { name: up.name }));
      await refreshModels();
    } catch (e) {
      setError(e);
      if (up) void uploads.discard(up.id).catch(() => undefined);
    } finally {
      setProgress(null);
    }
  };

  return (
    <section className="section" aria-labelledby="import-title">
      <h2 id="import-title" className="section-title">
        {t('models.import')}
      </h2>
      <DropZone
        text={t('models.importDrop')}
        choose={t('models.importChoose')}
        disabled={progress !== null}
        accept=".gguf"
        onFiles={([f]) => f && void upload(f)}
      />
      {progress && (
        <div className="import-progress">
          <span className="small">{t('models.importing', { name: progress.name, pct: `${Math.round(progress.value * 100)}%` })}</span>
          <ProgressBar value={progress.value} label={t('models.importing', { name: progress.name, pct: '' })} />
        </div>
      )}
      <form
        className="row import-path"
        onSubmit={(e) => {
          e.preventDefault();
          setError('');
          setMessage('');
          models
            .importPath(path.trim())
            .then((m) => {
              setMessage(t('models.imported', { name: m.name }));
              setPath('');
              return refreshModels();
            })
            .catch((err: unknown) => setError(err));
        }}
      >
        <input
          className="mono grow"
          value={path}
          placeholder={t('models.importPath')}
          aria-label={t('models.importPathLabel')}
          onChange={(e) => setPath(e.target.value)}
          spellCheck={false}
        />
        <button type="submit" className="secondary small" disabled={!path.trim()}>
          {t('models.importPathButton')}
        </button>
      </form>
      {message && (
        <p className="ok-text small" role="status">
          {message}
        </p>
      )}
      <ErrorMessage error={error} className="error small" />
    </section>
  );
}
