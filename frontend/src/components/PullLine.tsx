import type { Pull } from '../api/types';
import { useI18n, type MessageKey } from '../i18n';
import { ProgressBar } from './ProgressBar';

/** One download in a line: a bar and "1.2 GB of 4.7 GB · 12 MB/s · 3 min left". */
export function PullLine({ pull, compact = false }: { pull: Pull; compact?: boolean }) {
  const { t, fmt } = useI18n();
  const value = pull.state === 'verifying' ? 1 : pull.total > 0 ? pull.completed / pull.total : undefined;
  const details: string[] = [];
  if (pull.total > 0) details.push(t('pull.progress', { done: fmt.bytes(pull.completed), total: fmt.bytes(pull.total) }));
  if (pull.state === 'downloading' && pull.rate_bps > 0) details.push(t('pull.rate', { rate: fmt.rate(pull.rate_bps) }));
  if (pull.state === 'downloading' && pull.eta_s > 0) details.push(t('pull.eta', { time: fmt.duration(pull.eta_s) }));
  if (pull.state !== 'downloading') details.unshift(t(`pull.${pull.state}` as MessageKey));
  return (
    <div className={`pull-line${compact ? ' compact' : ''}`} data-pull-state={pull.state}>
      <ProgressBar value={value} label={t('pull.progressLabel', { ref: pull.ref })} />
      <span className="muted small pull-details">{details.join(' · ')}</span>
    </div>
  );
}

/** The newest download of ref (names compared without case), if any. */
export function pullOf(pulls: Pull[], ref: string): Pull | undefined {
  const want = ref.toLowerCase();
  let found: Pull | undefined;
  for (const p of pulls) if (p.ref.toLowerCase() === want && (!found || p.started_at >= found.started_at)) found = p;
  return found;
}
