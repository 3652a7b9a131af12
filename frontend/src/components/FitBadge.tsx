import type { Fit } from '../api/types';
import { useI18n } from '../i18n';

/** Whether a model fits this Mac: a word and a colour, with the numbers and the context the
 * verdict assumes in the tooltip. */
export function FitBadge({ fit }: { fit: Fit | undefined }) {
  const { t, fmt } = useI18n();
  if (!fit) return <span className="badge fit-unknown">{t('fit.unknown')}</span>;
  const detail = t('fit.detail', { total: fmt.bytes(fit.total_bytes), budget: fmt.bytes(fit.budget_bytes), ctx: fit.num_ctx.toLocaleString() });
  const label = fit.verdict === 'fits' ? t('fit.fits') : fit.verdict === 'tight' ? t('fit.tight') : t('fit.too_large');
  return (
    <span className={`badge fit-${fit.verdict}`} title={fit.message ? `${detail}. ${fit.message}` : detail}>
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  );
}
