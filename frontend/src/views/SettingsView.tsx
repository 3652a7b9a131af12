import { useEffect, useState } from 'react';
import { ErrorMessage } from '../components/ErrorMessage';
import type { Language, Settings, Theme } from '../api/types';
import { CopyButton } from '../components/CopyButton';
import { KeepAliveOptions } from '../components/KeepAliveOptions';
import { SaveStatus, type SaveState } from '../components/Feedback';
import { ModelSelect } from '../components/ModelSelect';
import { RemoteEndpoints } from '../components/RemoteEndpoints';
import { RestartServer } from '../components/RestartServer';
import { useI18n, type MessageKey } from '../i18n';
import { useApp } from '../state';
import { HFToken } from './settings/HFToken';
import { Storage } from './settings/Storage';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[?::1\]?)$/i;

/** Splits host:port (with [v6] hosts). */
export function splitAddress(addr: string): { host: string; port: string } {
  const m = /^(\[[^\]]*\]|[^:]*):(\d*)$/.exec(addr.trim());
  if (!m) return { host: addr, port: '' };
  return { host: m[1] ?? '', port: m[2] ?? '' };
}

export function validPort(port: string): boolean {
  if (!/^\d{1,5}$/.test(port)) return false;
  const n = Number(port);
  return n >= 1 && n <= 65535;
}

interface Form {
  host: string;
  port: string;
  origins: string;
  keepAlive: string;
  context: string;
  launchAtLogin: boolean;
  language: Language;
  theme: Theme;
  defaultModel: string;
  slots: string;
  perSlotKV: boolean;
  maxLoaded: string;
  modelsDirs: string;
  kvType: string;
  flashAttn: string;
}

const KV_TYPES = ['f16', 'q8_0', 'q4_0'] as const;
const FLASH = ['auto', 'on', 'off'] as const;

/** llama.cpp cannot quantize the KV cache without flash attention; the server refuses it too. */
export function cacheConflict(kvType: string, flashAttn: string): boolean {
  return flashAttn === 'off' && (kvType === 'q8_0' || kvType === 'q4_0');
}

/** The base URLs tools use, from the address the server really listens on. */
export function baseURLs(listening: string): { openai: string; ollama: string } {
  const { host, port } = splitAddress(listening);
  const h = !host || host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;
  const root = `http://${h}:${port}`;
  return { openai: `${root}/v1`, ollama: root };
}

/** The connect box: the OpenAI and Ollama base URLs to paste into other apps, and a curl to try. */
function Connect({ listening, model }: { listening: string; model: string }) {
  const { t } = useI18n();
  const { openai, ollama } = baseURLs(listening);
  const curl = `curl ${openai}/chat/completions -H 'Content-Type: application/json' \\\n  -d '{"model": "${model || 'MODEL'}", "messages": [{"role": "user", "content": "Hello"}]}'`;
  return (
    <div className="connect">
      <p className="muted small">{t('settings.connectHint')}</p>
      {[
        [t('settings.openaiURL'), openai],
        [t('settings.ollamaURL'), ollama],
      ].map(([label, url]) => (
        <div className="field" key={label}>
          <span>{label}</span>
          <div className="row">
            <code className="key grow">{url}</code>
            <CopyButton text={url ?? ''} label={`${t('common.copy')}: ${label}`} />
          </div>
        </div>
      ))}
      <div className="field">
        <span>{t('settings.curl')}</span>
        <div className="row">
          <pre className="curl grow">{curl}</pre>
          <CopyButton text={curl} label={`${t('common.copy')}: ${t('settings.curl')}`} />
        </div>
      </div>
      <p className="muted small">{t('settings.listening', { addr: listening })}</p>
    </div>
  );
}

function formOf(s: Settings): Form {
  const { host, port } = splitAddress(s.address);
  return {
    host,
    port,
    origins: (s.allowed_origins ?? []).join('\n'),
    keepAlive: s.keep_alive || '5m',
    context: String(s.context_length ?? 0),
    launchAtLogin: s.launch_at_login,
    language: s.language || 'system',
    theme: s.theme || 'system',
    defaultModel: s.default_model ?? '',
    slots: String(s.slots || 4),
    perSlotKV: s.per_slot_kv ?? false,
    maxLoaded: String(s.max_loaded ?? 0),
    modelsDirs: (s.models_dirs ?? []).join('\n'),
    kvType: s.kv_type || 'f16',
    flashAttn: s.flash_attn || 'auto',
  };
}

export function SettingsView() {
  const { t } = useI18n();
  const { settings, saveSettings, status, models } = useApp();
  const [form, setForm] = useState<Form | null>(settings ? formOf(settings.settings) : null);
  const [state, setState] = useState<SaveState>('idle');
  const [error, setError] = useState<unknown>('');
  const [confirmKey, setConfirmKey] = useState(false);

  useEffect(() => {
    if (settings && !form) setForm(formOf(settings.settings));
  }, [settings, form]);

  if (status && !status.features.settings) {
    return (
      <div className="scroll-view">
        <p className="muted section">{t('common.unavailable')}</p>
      </div>
    );
  }
  if (!settings || !form) {
    return (
      <div className="scroll-view">
        <p className="muted section">{t('common.loading')}</p>
      </div>
    );
  }

  const set = <K extends keyof Form>(k: K, v: Form[K]) => {
    setForm({ ...form, [k]: v });
    setState('idle');
  };
  const lan = !LOOPBACK.test(form.host);
  const portOK = validPort(form.port);
  const cacheBad = cacheConflict(form.kvType, form.flashAttn);
  const key = settings.settings.api_key ?? '';

  const save = async (extra: { new_api_key?: boolean; remove_api_key?: boolean } = {}) => {
    if (!portOK || cacheBad) return;
    setState('saving');
    setError('');
    try {
      const sv = await saveSettings({
        address: `${form.host}:${form.port}`,
        allowed_origins: form.origins
          .split('\n')
          .map((o) => o.trim())
          .filter(Boolean),
        keep_alive: form.keepAlive,
        context_length: Number(form.context) || 0,
        launch_at_login: form.launchAtLogin,
        language: form.language,
        theme: form.theme,
        default_model: form.defaultModel,
        slots: Number(form.slots) || 4,
        per_slot_kv: form.perSlotKV,
        max_loaded: Number(form.maxLoaded) || 0,
        models_dirs: form.modelsDirs
          .split('\n')
          .map((d) => d.trim())
          .filter(Boolean),
        kv_type: form.kvType,
        flash_attn: form.flashAttn,
        ...extra,
      });
      setForm(formOf(sv.settings));
      setState('saved');
    } catch (e) {
      setState('idle');
      setError(e);
    }
  };

  // Language and theme apply at once, without Save: a look is judged by seeing it.
  const applyNow = (patch: { language?: Language; theme?: Theme }) => {
    setForm({ ...form, ...patch });
    saveSettings(patch).catch((e: unknown) => setError(e));
  };

  const restart = settings.restart_needed.map((f) => t(`settings.field.${f}` as MessageKey)).join(', ');

  return (
    <form
      className="scroll-view settings-view"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <fieldset className="section">
        <legend className="section-title">{t('settings.general')}</legend>
        <label className="check">
          <input type="checkbox" checked={form.launchAtLogin} onChange={(e) => set('launchAtLogin', e.target.checked)} />
          <span>{t('settings.launchAtLogin')}</span>
        </label>
        <div className="grid2">
          <label className="field">
            <span>{t('settings.language')}</span>
            <select value={form.language} onChange={(e) => applyNow({ language: e.target.value as Language })}>
              <option value="system">{t('settings.language.system')}</option>
              <option value="en">{t('settings.language.en')}</option>
              <option value="ko">{t('settings.language.ko')}</option>
            </select>
          </label>
          <label className="field">
            <span>{t('settings.theme')}</span>
            <select value={form.theme} onChange={(e) => applyNow({ theme: e.target.value as Theme })}>
              <option value="system">{t('settings.theme.system')}</option>
              <option value="light">{t('settings.theme.light')}</option>
              <option value="dark">{t('settings.theme.dark')}</option>
            </select>
          </label>
        </div>
      </fieldset>

      <fieldset className="section">
        <legend className="section-title">{t('settings.models')}</legend>
        <label className="field">
          <span>{t('settings.defaultModel')}</span>
          <ModelSelect models={models} value={form.defaultModel} onChange={(v) => set('defaultModel', v)} />
        </label>
        <div className="grid2">
          <label className="field">
            <span>{t('settings.keepAlive')}</span>
            <select value={form.keepAlive} onChange={(e) => set('keepAlive', e.target.value)}>
              <KeepAliveOptions value={form.keepAlive} />
            </select>
          </label>
          <div className="field">
            <label htmlFor="context">{t('settings.context')}</label>
            <input
              id="context"
              type="number"
              min={0}
              step={1024}
              value={form.context}
              aria-describedby="context-hint"
              onChange={(e) => set('context', e.target.value)}
            />
            <span id="context-hint" className="muted small">
              {t('settings.contextHint')}
            </span>
          </div>
        </div>
        <div className="grid2">
          <div className="field">
            <label htmlFor="slots">{t('settings.slots')}</label>
            <input id="slots" type="number" min={1} max={64} value={form.slots} aria-describedby="slots-hint" onChange={(e) => set('slots', e.target.value)} />
            <span id="slots-hint" className="muted small">
              {t('settings.slotsHint')}
            </span>
          </div>
        </div>
        <HintedCheck id="per-slot-kv" label={t('settings.perSlotKV')} hint={t('settings.perSlotKVHint')} checked={form.perSlotKV} onChange={(v) => set('perSlotKV', v)} />
        <div className="field">
          <label htmlFor="models-dirs">{t('settings.modelsDirs')}</label>
          <textarea
            id="models-dirs"
            className="mono"
            rows={2}
            value={form.modelsDirs}
            placeholder="~/models"
            aria-describedby="models-dirs-hint"
            onChange={(e) => set('modelsDirs', e.target.value)}
            spellCheck={false}
          />
          <span id="models-dirs-hint" className="muted small">
            {t('settings.modelsDirsHint')}
          </span>
        </div>
        <Storage downloadDir={settings.settings.download_dir ?? ''} modelsDirs={(settings.settings.models_dirs ?? []).join('\n')} />
      </fieldset>

      <fieldset className="section">
        <legend className="section-title">{t('settings.server')}</legend>
        <Connect listening={settings.listening} model={form.defaultModel || status?.default_model || ''} />
        <div className="grid2">
          <label className="field">
            <span>{t('settings.address')}</span>
            <input className="mono" value={form.host} onChange={(e) => set('host', e.target.value)} spellCheck={false} />
          </label>
          <label className="field">
            <span>{t('settings.port')}</span>
            <input
              className="mono"
              inputMode="numeric"
              value={form.port}
              aria-invalid={!portOK}
              aria-describedby={portOK ? undefined : 'port-error'}
              onChange={(e) => set('port', e.target.value.trim())}
            />
          </label>
        </div>
        {!portOK && (
          <p id="port-error" className="error small">
            {t('settings.portInvalid')}
          </p>
        )}
        <HintedCheck id="lan" label={t('settings.lan')} hint={t('settings.lanHint')} checked={lan} onChange={(v) => set('host', v ? '0.0.0.0' : '127.0.0.1')} />
        <div className="field">
          <label htmlFor="origins">{t('settings.origins')}</label>
          <textarea
            id="origins"
            className="mono"
            rows={2}
            value={form.origins}
            placeholder="https://app.example.com"
            aria-describedby="origins-hint"
            onChange={(e) => set('origins', e.target.value)}
            spellCheck={false}
          />
          <span id="origins-hint" className="muted small">
            {t('settings.originsHint')}
          </span>
        </div>
      </fieldset>

      <fieldset className="section">
        <legend className="section-title">{t('settings.privacy')}</legend>
        <p className="muted small">{t('settings.privacyNote')}</p>
        <div className="field">
          <span id="api-key-label">{t('settings.apiKey')}</span>
          <div className="row">
            <code className="key grow" aria-labelledby="api-key-label">
              {key || t('settings.apiKeyNone')}
            </code>
            {key && <CopyButton text={key} label={t('common.copy')} />}
            <button type="button" className="secondary small" onClick={() => setConfirmKey(true)} aria-expanded={confirmKey}>
              {t('settings.newKey')}
            </button>
          </div>
          {/* A new key locks out every tool using the old one: ask first. */}
          {confirmKey && (
            <div className="confirm" role="group" aria-label={t('settings.newKeyConfirm')}>
              <p className="small">{t('settings.newKeyConfirm')}</p>
              <div className="row">
                <button
                  type="button"
                  className="danger small"
                  autoFocus
                  onClick={() => {
                    setConfirmKey(false);
                    void save({ new_api_key: true });
                  }}
                >
                  {t('settings.newKeyYes')}
                </button>
                <button type="button" className="text-button small" onClick={() => setConfirmKey(false)}>
                  {t('common.cancel')}
                </button>
              </div>
            </div>
          )}
          {/* With LAN access off only this Mac can connect, and its own UI never needs the key:
              offer to remove it, so local tools work without one too. */}
          {!lan && key && (
            <div className="row key-remove">
              <span className="muted small grow">{t('settings.removeKeyHint')}</span>
              <button type="button" className="secondary small" onClick={() => void save({ remove_api_key: true })}>
                {t('settings.removeKey')}
              </button>
            </div>
          )}
        </div>
        <HFToken />
      </fieldset>

      <fieldset className="section">
        <legend className="section-title">{t('settings.advanced')}</legend>
        <div className="field">
          <label htmlFor="max-loaded">{t('settings.maxLoaded')}</label>
          <input id="max-loaded" type="number" min={0} max={16} value={form.maxLoaded} aria-describedby="max-loaded-hint" onChange={(e) => set('maxLoaded', e.target.value)} />
          <span id="max-loaded-hint" className="muted small">
            {t('settings.maxLoadedHint')}
          </span>
        </div>
        <div className="grid2">
          <div className="field">
            <label htmlFor="kv-type">{t('settings.kvType')}</label>
            <select id="kv-type" value={form.kvType} aria-describedby="kv-type-hint" onChange={(e) => set('kvType', e.target.value)}>
              {KV_TYPES.map((k) => (
                <option key={k} value={k}>
                  {t(`settings.kvType.${k}`)}
                </option>
              ))}
            </select>
            <span id="kv-type-hint" className="muted small">
              {t('settings.kvTypeHint')}
            </span>
          </div>
          <div className="field">
            <label htmlFor="flash-attn">{t('settings.flashAttn')}</label>
            <select
              id="flash-attn"
              value={form.flashAttn}
              aria-invalid={cacheBad}
              aria-describedby={cacheBad ? 'flash-attn-error' : 'flash-attn-hint'}
              onChange={(e) => set('flashAttn', e.target.value)}
            >
              {FLASH.map((f) => (
                <option key={f} value={f}>
                  {t(`settings.flashAttn.${f}`)}
                </option>
              ))}
            </select>
            <span id="flash-attn-hint" className="muted small">
              {t('settings.flashAttnHint')}
            </span>
          </div>
        </div>
        {cacheBad && (
          <p id="flash-attn-error" className="error small" role="alert">
            {t('settings.flashAttnNeeded')}
          </p>
        )}
      </fieldset>

      <RemoteEndpoints />

      <div className="section save-bar">
        {restart && (
          <p className="notice small" role="status">
            {t('settings.restart', { fields: restart })} <RestartServer />
          </p>
        )}
        <ErrorMessage error={error} className="error small" />
        <div className="row end">
          <SaveStatus state={state} />
          {status && <span className="muted small">{t('settings.version', { v: status.version })}</span>}
          <span className="spacer" />
          <button type="submit" className="primary" disabled={!portOK || cacheBad || state === 'saving'}>
            {t('common.save')}
          </button>
        </div>
      </div>
    </form>
  );
}

/** A checkbox with its label and a hint under it that describes it to screen readers too. */
function HintedCheck({ id, label, hint, checked, onChange }: { id: string; label: string; hint: string; checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <div className="check">
      <input id={id} type="checkbox" checked={checked} aria-describedby={`${id}-hint`} onChange={(e) => onChange(e.target.checked)} />
      <span>
        <label htmlFor={id}>{label}</label>
        <span id={`${id}-hint`} className="muted small block">
          {hint}
        </span>
      </span>
    </div>
  );
}
