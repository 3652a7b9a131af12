// The small feedback widgets every view uses, written once: an error line, a save status,
// and the inline "Delete …? This cannot be undone." confirmation.
import { useI18n } from '../i18n';

/** An error for the user, announced to screen readers; nothing when there is none. */
export function ErrorText({ error, className = 'error small' }: { error: string | null | undefined; className?: string }) {
  if (!error) return null;
  return (
    <p className={className} role="alert">
      {error}
    </p>
  );
}

export type SaveState = 'idle' | 'saving' | 'saved';

/** "Saving…" / "Saved", announced politely. */
export function SaveStatus({ state }: { state: SaveState }) {
  const { t } = useI18n();
  return (
    <span className="muted small" role="status">
      {state === 'saving' ? t('common.saving') : state === 'saved' ? t('common.saved') : ''}
    </span>
  );
}

/** Asks before deleting: the question, a Delete button (focused) and Cancel. */
export function DeleteConfirm({
  question,
  onConfirm,
  onCancel,
  busy = false,
  className = 'confirm',
}: {
  question: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
  className?: string;
}) {
  const { t } = useI18n();
  return (
    <div className={className} role="group" aria-label={question}>
      <p className="small">{question}</p>
      <div className="row">
        <button type="button" className="danger small" disabled={busy} onClick={onConfirm} autoFocus>
          {t('common.delete')}
        </button>
        <button type="button" className="text-button small" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </div>
  );
}
