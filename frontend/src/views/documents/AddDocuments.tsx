import { useId, useState, type ReactNode } from 'react';
import { humanError } from '../../lib/errors';
import { collections } from '../../api/collections';
import { ErrorMessage } from '../../components/ErrorMessage';
import type { IndexSkip } from '../../api/types';
import { DropZone } from '../../components/DropZone';
import { ProgressBar } from '../../components/ProgressBar';
import { useI18n } from '../../i18n';
import { useDesktop } from '../../lib/desktop';
import { count } from '../../lib/docs';
import { useApp } from '../../state';
import { SkipList } from './IndexRun';
import { PasteText } from './PasteText';

// A document travels in one request: keep under the server's 32 MiB body limit.
const MAX_UPLOAD = 30 << 20;

interface Props {
  collectionId: number;
  /** Names the collection in the folder dialog's title. */
  collectionName?: string;
  /** A folder or re-index run is going: adding waits. */
  busy: boolean;
  onAdded: () => void;
  onFolder: (path: string) => void;
  /** The folder run's progress, shown under the folder field. */
  children?: ReactNode;
}

interface Outcome {
  added: number;
  unchanged: number;
  passages: number;
  skips: IndexSkip[];
}

/**
 * Add files (picked or dropped; uploaded one by one), pasted text, or a folder on this Mac:
 * typed, or in the desktop window chosen in the native folder dialog.
 */
export function AddDocuments({ collectionId, collectionName = '', busy, onAdded, onFolder, children }: Props) {
  const { t, fmt } = useI18n();
  const { status } = useApp();
  const desktop = useDesktop();
  const pathId = useId();
  const [uploading, setUploading] = useState<{ name: string; i: number; n: number } | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [path, setPath] = useState('');
  const [picking, setPicking] = useState(false);
  const [pickError, setPickError] = useState<unknown>('');
  // The dialog opens in the desktop window, so only that window offers it (a browser on the
  // same server would open it somewhere else).
  const canPick = desktop !== null && status?.features.folder_picker === true;

  const choose = async () => {
    setPicking(true);
    setPickError('');
    try {
      const r = await collections.pickFolder(collectionId, t('docs.pickTitle', { name: collectionName }));
      if (r.path) {
        setPath(r.path);
        onFolder(r.path);
      }
    } catch (e) {
      setPickError(e);
    } finally {
      setPicking(false);
    }
  };

  const upload = async (files: File[]) => {
    if (files.length === 0 || uploading) return;
    const out: Outcome = { added: 0, unchanged: 0, passages: 0, skips: [] };
    setOutcome(null);
    for (const [i, f] of files.entries()) {
      setUploading({ name: f.name, i, n: files.length });
      if (f.size > MAX_UPLOAD) {
        out.skips.push({ path: f.name, code: '', reason: t('docs.tooLarge', { size: fmt.bytes(f.size) }) });
        continue;
      }
      try {
        const r = await collections.upload(collectionId, f);
        if (r.status === 'unchanged') out.unchanged++;
        else out.added++;
        out.passages += r.passages;
      } catch (e) {
        out.skips.push({ path: f.name, code: '', reason: humanError(t, e).message });
      }
    }
    setUploading(null);
    setOutcome(out);
    onAdded();
  };

  const disabled = busy || uploading !== null;
  return (
    <section className="section" aria-labelledby="add-title">
      <h2 id="add-title" className="section-title">
        {t('docs.add')}
      </h2>
      <DropZone text={t('docs.drop')} textClassName="small" choose={t('docs.chooseFiles')} disabled={disabled} multiple onFiles={(files) => void upload(files)} />
      {uploading && (
        <div className="import-progress">
          <span className="small">{t('docs.uploading', { name: uploading.name, i: uploading.i + 1, n: uploading.n })}</span>
          <ProgressBar value={uploading.n > 1 ? uploading.i / uploading.n : undefined} label={t('docs.uploadProgress')} />
        </div>
      )}
      {outcome && (
        <div className="run-result" role="status">
          <p className="small">
            {[
              t('docs.uploaded', { added: fmt.number(outcome.added), passages: count(t, fmt, outcome.passages, 'passages') }),
              outcome.unchanged > 0 ? t('docs.uploadedUnchanged', { n: fmt.number(outcome.unchanged) }) : '',
            ]
              .filter(Boolean)
              .join(' · ')}
          </p>
          {outcome.skips.length > 0 && <SkipList skips={outcome.skips} />}
        </div>
      )}
      <form
        className="folder-form"
        onSubmit={(e) => {
          e.preventDefault();
          const p = path.trim();
          if (p) onFolder(p);
        }}
      >
        <label htmlFor={pathId} className="small folder-label">
          {t('docs.folderLabel')}
        </label>
        <div className="row">
          {canPick && (
            <button type="button" className="secondary small" disabled={disabled || picking} onClick={() => void choose()}>
              {t('docs.chooseFolder')}
            </button>
          )}
          <input
            id={pathId}
            className="mono grow"
            value={path}
            placeholder={t('docs.folderPlaceholder')}
            onChange={(e) => setPath(e.target.value)}
            spellCheck={false}
            autoComplete="off"
          />
          <button type="submit" className="secondary small" disabled={disabled || !path.trim()}>
            {t('docs.addFolder')}
          </button>
        </div>
        <p className="muted small">
          {t('docs.folderHint')}
          {canPick && ` ${t('docs.folderHintDesktop')}`}
        </p>
        <ErrorMessage error={pickError} className="error small" />
      </form>
      {children}
      <PasteText collectionId={collectionId} disabled={disabled} onAdded={onAdded} />
    </section>
  );
}
