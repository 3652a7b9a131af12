import { useI18n } from '../i18n';
import { humanError } from '../lib/errors';

/**
 * An error as a sentence that says what happened and what to do, with the raw text behind a
 * "Details" disclosure (for a bug report, never the main message).
 */
export function ErrorMessage({ error, code, className = 'error' }: { error: unknown; code?: string | null; className?: string }) {
  const { t } = useI18n();
  if (error === '' || error === null || error === undefined) return null;
  const h = humanError(t, error, code);
  return (
    <div className={`${className} human-error`} role="alert" data-error-code={h.code}>
      <p>{h.message}</p>
      {h.details && h.details !== h.message && (
        <details className="error-details">
          <summary>{t('err.details')}</summary>
          <p className="mono small">{h.details}</p>
        </details>
      )}
    </div>
  );
}
