import { useEffect, useRef, useState } from 'react';
import { errorText } from '../api/client';
import { memory } from '../api/memory';
import { models as modelsApi } from '../api/models';
import { roomFor } from '../lib/headroom';
import { useVisibleStream } from '../lib/visibility';
import type { MemoryView as Sample, ModelMemory } from '../api/types';
import { useI18n, type MessageKey } from '../i18n';
import { useApp } from '../state';
import { RemoteMemoryNote } from '../components/RemoteModels';

/** Samples memory over SSE while the view is open; the server samples only while we listen. */
/** About two minutes of the memory used, one point a sample, for the sparkline. */
const HISTORY = 120;

function useMemory(): { sample: Sample | null; live: boolean; history: number[] } {
  const [sample, setSample] = useState<Sample | null>(null);
  const [history, setHistory] = useState<number[]>([]);
  const [live, setLive] = useState(false);
  useVisibleStream(
    (signal) =>
      memory.events((ev) => {
        if ('models' in ev) {
          setSample(ev);
          setLive(true);
          const used = ev.system?.used_bytes;
          if (used !== undefined) setHistory((h) => [...h.slice(-(HISTORY - 1)), used]);
        }
      }, signal),
    0,
    () => setLive(false),
  );
  return { sample, live, history };
}

/** The memory used over the last two minutes, scaled to the machine's total. */
function Sparkline({ points, total }: { points: number[]; total: number }) {
  const { t, fmt } = useI18n();
  if (points.length < 2 || total <= 0) return null;
  const w = 240;
  const h = 36;
  const xy = points.map((p, i) => `${((i / (HISTORY - 1)) * w).toFixed(1)},${(h - (p / total) * h).toFixed(1)}`).join(' ');
  const lo = Math.min(...points);
  const hi = Math.max(...points);
  const label = t('memory.history', { lo: fmt.bytes(lo), hi: fmt.bytes(hi) });
  return (
    <figure className="sparkline">
      <svg viewBox={`0 0 ${w} ${h}`} preserveAspectRatio="none" role="img" aria-label={label}>
        <polyline points={xy} fill="none" stroke="currentColor" strokeWidth="1.5" vectorEffect="non-scaling-stroke" />
      </svg>
      <figcaption className="muted small">{label}</figcaption>
    </figure>
  );
}

/** "Room for about a 14B Q4_K_M at 8K": the free memory in model-size terms. */
function Headroom({ free }: { free: number }) {
  const { t, fmt } = useI18n();
  const { navigate } = useApp();
  const room = roomFor(free);
  return (
    <p className="headroom">
      <span>
        {room ? t('memory.roomFor', { size: `${fmt.number(room.billions, room.billions < 1 ? 1 : 0)}B`, free: fmt.bytes(free) }) : t('memory.roomNone', { free: fmt.bytes(free) })}
      </span>{' '}
      <a
        href="#/models"
        onClick={(e) => {
          e.preventDefault();
          navigate({ view: 'models' });
        }}
      >
        {t('memory.seeFitting')}
      </a>
    </p>
  );
}

/** Seconds until keep-alive unloads a model, counted down between samples. */
function Countdown({ at }: { at: string }) {
  const { t } = useI18n();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(id);
  }, []);
  const left = Math.max(0, Math.round((Date.parse(at) - now) / 1000));
  const mm = Math.floor(left / 60);
  const ss = String(left % 60).padStart(2, '0');
  return <span className="countdown muted small">{t('memory.unloadsIn', { time: `${mm}:${ss}` })}</span>;
}

/** The KV cache type and flash attention the model was loaded with (Settings change only later loads). */
function CacheSettings({ m }: { m: ModelMemory }) {
  const { t } = useI18n();
  if (!m.kv_type) return null;
  const asked = FLASH[m.flash_attn];
  const used = m.flash_attn_used ? USED[m.flash_attn_used] : undefined;
  let fa = asked ? t(asked) : m.flash_attn;
  // "Automatic" is llama.cpp's choice at load: say what it came to.
  if (m.flash_attn === 'auto' && used) fa = t('memory.flashAuto', { used: t(used) });
  return (
    <div className="muted small mem-cache" title={t('memory.cacheHint')}>
      {t('memory.cache', { kv: m.kv_type, fa })}
    </div>
  );
}

const FLASH: Partial<Record<string, MessageKey>> = { auto: 'settings.flashAttn.auto', on: 'settings.flashAttn.on', off: 'settings.flashAttn.off' };
const USED: Partial<Record<string, MessageKey>> = { on: 'memory.flashUsed.on', off: 'memory.flashUsed.off' };

function UnloadButton({ name }: { name: string }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const live = useRef(true);
  useEffect(
    () => () => {
      live.current = false;
    },
    [],
  );
  return (
    <>
      <button
        type="button"
        className="text-button small"
        disabled={busy}
        aria-label={`${t('memory.unload')}: ${name}`}
        onClick={() => {
          setBusy(true);
          setError('');
          modelsApi
            .unload(name)
            .catch((e: unknown) => live.current && setError(errorText(e)))
            .finally(() => live.current && setBusy(false));
        }}
      >
        {t('memory.unload')}
      </button>
      {error && (
        <span className="error small" role="alert">
          {error}
        </span>
      )}
    </>
  );
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
      {budget > 0 && <p className="muted small">{t('memory.budgetExplain')}</p>}
      <Headroom free={budget > 0 ? Math.max(0, Math.min(budget - total, sample.system?.available_bytes ?? Infinity)) : (sample.system?.available_bytes ?? 0)} />
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
                <th scope="col">
                  <span className="visually-hidden">{t('memory.unload')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {models.map((m) => {
                const own = KINDS.reduce((k, kind) => k + bytesOf(m, kind.key), 0);
                const biggest = Math.max(...models.map((x) => KINDS.reduce((k, kind) => k + bytesOf(x, kind.key), 0)), 1);
                return (
                  <tr key={m.name}>
                    <th scope="row">
                      {m.name}
                      {m.expires_at && !m.generating && <Countdown at={m.expires_at} />}
                      <CacheSettings m={m} />
                      {/* As long as the model is big next to the biggest loaded one: bars in proportion to bytes. */}
                      <div className="bar mini" aria-hidden="true" style={{ width: `${Math.max(2, (own / biggest) * 100)}%` }}>
                        {KINDS.map((k) => (
                          <div key={k.key} className={`seg seg-${k.key}`} style={{ width: `${own ? (bytesOf(m, k.key) / own) * 100 : 0}%` }} />
                        ))}
                      </div>
                    </th>
                    {KINDS.map((k) => (
                      <td key={k.key}>{fmt.bytes(bytesOf(m, k.key))}</td>
                    ))}
                    <td>
                      <UnloadButton name={m.name} />
                    </td>
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
  const { sample, live, history } = useMemory();
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
        {sample?.system && <Sparkline points={history} total={sample.system.total_bytes} />}
        {status && !status.features.memory && <p className="muted small">{t('memory.unavailable')}</p>}
      </div>
      {sample && <ModelsBar sample={sample} />}
      <RemoteMemoryNote />
    </div>
  );
}
