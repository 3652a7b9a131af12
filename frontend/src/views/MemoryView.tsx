import { useEffect, useState } from 'react';
import { stream } from '../api/client';
import { usePageVisible } from '../lib/visibility';
import type { MemoryView as Sample, ModelMemory } from '../api/types';
import { useI18n, type MessageKey } from '../i18n';
import { useApp } from '../state';
import { RemoteMemoryNote } from '../components/RemoteModels';

/** Samples memory over SSE while the view is open; the server samples only while we listen. */
function useMemory(): { sample: Sample | null; live: boolean } {
  const [sample, setSample] = useState<Sample | null>(null);
  const [live, setLive] = useState(false);
  const visible = usePageVisible();
  useEffect(() => {
    if (!visible) return;
    const abort = new AbortController();
    let timer: number | undefined;
    const connect = () => {
      stream<Sample>(
        'GET',
        '/perch/memory/events',
        undefined,
        (ev) => {
          if ('models' in ev) {
            setSample(ev);
            setLive(true);
          }
        },
        abort.signal,
      )
        .catch(() => undefined)
        .finally(() => {
          setLive(false);
          if (!abort.signal.aborted) timer = window.setTimeout(connect, 2000);
        });
    };
    connect();
    return () => {
      abort.abort();
      window.clearTimeout(timer);
    };
  }, [visible]);
  return { sample, live };
}

function pressureKey(p: string): MessageKey {
  return p === 'warn' ? 'memory.pressure.warn' : p === 'critical' ? 'memory.pressure.critical' : 'memory.pressure.normal';
}

function Gauge({ sample }: { sample: Sample }) {
  const { t, fmt } = useI18n();
  const s = sample.system;
  if (!s) return null;
  const used = s.total_bytes > 0 ? s.used_bytes / s.total_bytes : 0;
  const pressure = s.pressure === 'warn' || s.pressure === 'critical' ? s.pressure : 'normal';
  const label = t('memory.gaugeLabel', { used: fmt.bytes(s.used_bytes), total: fmt.bytes(s.total_bytes) });
  return (
    <div className={`gauge pressure-${pressure}`}>
      <div className="gauge-top">
        <span className="gauge-big">{fmt.bytes(s.used_bytes)}</span>
        <span className="muted"> / {fmt.bytes(s.total_bytes)}</span>
        <span className="spacer" />
        <span className={`badge pressure-badge pressure-${pressure}`}>
          <span className="dot" aria-hidden="true" />
          {t('memory.pressure')}: {t(pressureKey(s.pressure))}
        </span>
      </div>
      <div className="bar big" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(used * 100)} aria-valuetext={label}>
        <div className="bar-fill" style={{ width: `${used * 100}%` }} />
      </div>
      <dl className="facts">
        <div>
          <dt>{t('memory.used')}</dt>
          <dd>{fmt.bytes(s.used_bytes)}</dd>
        </div>
        <div>
          <dt>{t('memory.available')}</dt>
          <dd>{fmt.bytes(s.available_bytes)}</dd>
        </div>
        {s.wired_bytes ? (
          <div>
            <dt>{t('memory.wired')}</dt>
            <dd>{fmt.bytes(s.wired_bytes)}</dd>
          </div>
        ) : null}
        {s.compressed_bytes ? (
          <div>
            <dt>{t('memory.compressed')}</dt>
            <dd>{fmt.bytes(s.compressed_bytes)}</dd>
          </div>
        ) : null}
        <div>
          <dt>{t('memory.swap')}</dt>
          <dd>
            {fmt.bytes(s.swap_used_bytes)}
            {s.swap_total_bytes > 0 ? ` / ${fmt.bytes(s.swap_total_bytes)}` : ''}
          </dd>
        </div>
      </dl>
    </div>
  );
}

const KINDS = [
  { key: 'weights', label: 'memory.weights' },
  { key: 'kv', label: 'memory.kv' },
  { key: 'compute', label: 'memory.compute' },
] as const;

function bytesOf(m: ModelMemory, kind: (typeof KINDS)[number]['key']): number {
  return kind === 'weights' ? m.weights_bytes : kind === 'kv' ? m.kv_bytes : m.compute_bytes + m.other_bytes;
}

/** What each loaded model holds, stacked against the GPU working-set limit. */
function ModelsBar({ sample }: { sample: Sample }) {
  const { t, fmt } = useI18n();
  const models = sample.models;
  const total = models.reduce((n, m) => n + KINDS.reduce((k, kind) => k + bytesOf(m, kind.key), 0), 0);
  const budget = sample.system?.gpu_budget_bytes || 0;
  const scale = Math.max(budget, total, 1);
  const segments = models.flatMap((m, i) =>
    KINDS.map((kind) => ({ model: m.name, i, kind: kind.key, label: t(kind.label), bytes: bytesOf(m, kind.key) })),
  );
  const summary = models.map((m) => `${m.name} ${fmt.bytes(KINDS.reduce((k, kind) => k + bytesOf(m, kind.key), 0))}`).join(', ');
  return (
    <section className="section" aria-labelledby="mem-models-title">
      <div className="section-title-row">
        <h2 id="mem-models-title" className="section-title">
          {t('memory.models')}
        </h2>
        {budget > 0 && <span className="muted small">{t('memory.budget', { size: fmt.bytes(budget) })}</span>}
      </div>
      {models.length === 0 ? (
        <p className="muted small">{t('memory.noModels')}</p>
      ) : (
        <>
          <div className="bar stacked" role="img" aria-label={`${summary}${budget ? ` · ${t('memory.budget', { size: fmt.bytes(budget) })}` : ''}`}>
            {segments.map((s) =>
              s.bytes > 0 ? (
                <div
                  key={`${s.model}-${s.kind}`}
                  className={`seg seg-${s.kind} model-${s.i % 4}`}
                  style={{ width: `${(s.bytes / scale) * 100}%` }}
                  title={`${s.model} · ${s.label} ${fmt.bytes(s.bytes)}`}
                />
              ) : null,
            )}
          </div>
          <ul className="legend">
            {KINDS.map((k) => (
              <li key={k.key}>
                <span className={`swatch seg-${k.key}`} aria-hidden="true" />
                {t(k.label)}
              </li>
            ))}
            {budget > 0 && (
              <li>
                <span className="swatch seg-free" aria-hidden="true" />
                {t('memory.free')} {fmt.bytes(Math.max(0, budget - total))}
              </li>
            )}
          </ul>
          <table className="mem-table">
            <thead>
              <tr>
                <th scope="col">{t('chat.model')}</th>
                {KINDS.map((k) => (
                  <th key={k.key} scope="col">
                    {t(k.label)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {models.map((m) => {
                const own = KINDS.reduce((k, kind) => k + bytesOf(m, kind.key), 0) || 1;
                return (
                  <tr key={m.name}>
                    <th scope="row">
                      {m.name}
                      {/* The shares of this model alone: in the bar above a small model is a sliver. */}
                      <div className="bar mini" aria-hidden="true">
                        {KINDS.map((k) => (
                          <div key={k.key} className={`seg seg-${k.key}`} style={{ width: `${(bytesOf(m, k.key) / own) * 100}%` }} />
                        ))}
                      </div>
                    </th>
                    {KINDS.map((k) => (
                      <td key={k.key}>{fmt.bytes(bytesOf(m, k.key))}</td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

export function MemoryView() {
  const { t } = useI18n();
  const { status, offline } = useApp();
  const { sample, live } = useMemory();
  return (
    <div className="scroll-view memory-view">
      <div className="section">
        <div className="section-title-row">
          <h1 className="section-title">{t('memory.title')}</h1>
          <span className={`live${live ? ' on' : ''}`} role="status">
            {live ? t('memory.live') : offline ? t('offline.title') : sample ? t('memory.paused') : t('common.loading')}
          </span>
        </div>
        {sample ? <Gauge sample={sample} /> : null}
        {status && !status.features.memory && <p className="muted small">{t('memory.unavailable')}</p>}
      </div>
      {sample && <ModelsBar sample={sample} />}
      <RemoteMemoryNote />
    </div>
  );
}
