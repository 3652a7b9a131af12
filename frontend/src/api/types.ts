// The JSON of the /perch API (docs/ui-api.md). Field names follow the Go side.
// The types that match the Go structs exactly are generated from them (wire.gen.ts, by
// app/tsgen; `go generate ./app/api`); the others extend them, narrowing a few fields
// (unions for enums, fields older servers lack).
import type * as wire from './wire.gen';
import type { ContextMeter, Source } from './wire.gen';

export type { ChatSummary, ContextMeter, DocInfo, IndexSkip, IndexSummary, LoadedInfo, MemoryUsage, MemoryView, ModelMemory, Params, Passage, RemoteModel, RemoteWhere, SearchResponse, SearchResult, Source, Stats, TokenPiece, TokenizeResult, Upload } from './wire.gen';

export interface Features extends Omit<wire.Features, 'collections' | 'folder_picker'> {
  /** Document collections (absent from older servers). */
  collections?: boolean;
  /** The desktop window's folder dialog (POST /perch/desktop/pick-folder; absent elsewhere). */
  folder_picker?: boolean;
}

export interface Status extends Omit<wire.Status, 'features'> {
  features: Features;
}

export type Role = 'user' | 'assistant';

export interface Message extends Omit<wire.Message, 'role'> {
  role: Role;
}

export interface Chat extends Omit<wire.Chat, 'messages' | 'generating'> {
  messages?: Message[];
  generating?: boolean;
}

export interface ApiErrorBody {
  message: string;
  type?: string;
  code?: string | null;
  param?: string | null;
}

/** One SSE event of an answer. */
export type ChatEvent =
  | { type: 'start'; user: Message; model: string }
  | ({ type: 'sources'; collection: string } & SourceSet)
  | { type: 'trimmed'; dropped: number }
  | { type: 'reasoning'; text: string }
  | { type: 'delta'; text: string }
  | { type: 'done'; message: Message; context?: ContextMeter }
  | { type: 'error'; error: ApiErrorBody; message?: Message };

/**
 * An installed (or remote) model. display_name: "Qwen3 8B · Q4_K_M" from the GGUF header, where
 * the server sends it (else the UI derives one from name); fit: whether it fits this Mac at the
 * default context (absent for loaded and embedding models); external: a file in a models
 * directory, served, never deleted; remote: where a model on another machine runs.
 */
export interface Model extends Omit<wire.Model, 'fit'> {
  fit?: Fit;
}

/** A remote endpoint with its health and models (GET /perch/remotes). */
export interface RemoteEndpoint {
  name: string;
  url: string;
  kind: 'openai' | 'ollama';
  has_key: boolean;
  health: { reachable: boolean; latency_ms: number; last_error?: string; checked_at: string };
  models: string[];
}

export type Verdict = 'fits' | 'tight' | 'too_large';

export interface Fit extends Omit<wire.Fit, 'verdict'> {
  verdict: Verdict;
}

export interface Quant extends Omit<wire.Quant, 'fit'> {
  fit?: Fit;
}

export interface CatalogModel extends Omit<wire.CatalogModel, 'quants'> {
  quants: Quant[];
}

export type PullState = 'queued' | 'downloading' | 'verifying' | 'paused' | 'done' | 'error' | 'cancelled';

export interface Pull extends Omit<wire.Pull, 'state'> {
  state: PullState;
}

export interface MemorySnapshot extends Omit<wire.MemorySnapshot, 'pressure'> {
  pressure: 'normal' | 'warn' | 'critical' | string;
}

export type Language = 'system' | 'en' | 'ko';
export type Theme = 'system' | 'light' | 'dark';

export interface Settings {
  address: string;
  api_key?: string;
  allowed_origins?: string[] | null;
  allowed_hosts?: string[] | null;
  keep_alive: string;
  context_length: number;
  slots: number;
  /** Each slot gets a cache of the whole context (memory × slots); unset: they share one. */
  per_slot_kv?: boolean;
  max_loaded: number;
  default_model?: string;
  models_dirs?: string[] | null;
  /** Where new downloads go (empty: the data folder). */
  download_dir?: string;
  /** The KV cache of models loaded from now on: f16 (when unset), q8_0 or q4_0. */
  kv_type?: string;
  /** Flash attention for models loaded from now on: auto (when unset), on or off. */
  flash_attn?: string;
  launch_at_login: boolean;
  language: Language;
  theme: Theme;
  /** A model's draft model for speculative decoding, by model name. */
  draft_models?: Record<string, string>;
  /** A model's own context length and keep-alive, by model name (unset: the server-wide ones). */
  model_defaults?: Record<string, wire.ModelDefault>;
}

export interface SettingsView {
  settings: Settings;
  lan: boolean;
  listening: string;
  restart_needed: string[];
  /** POST /perch/restart restarts the server (else Perch itself must be restarted). */
  can_restart?: boolean;
}

// Documents: collections of files to chat with (/perch/collections).

export type CollectionStatus = 'empty' | 'ready' | 'needs_reindex' | 'indexing';

/** A collection; min_score is the relevance a passage needs to be cited, warning is set on create and update when the embedding model is a chat model. */
export interface Collection extends Omit<wire.Collection, 'status'> {
  status: CollectionStatus;
}

export interface AddedDocument extends Omit<wire.AddedDocument, 'status'> {
  status: 'indexed' | 'unchanged';
}

/** One SSE event of a folder or re-indexing run. */
export interface IndexEvent extends Omit<wire.IndexEvent, 'phase' | 'status' | 'error'> {
  phase: 'scan' | 'embed' | 'file' | 'done' | 'summary' | 'error';
  status?: 'indexed' | 'unchanged' | 'skipped' | 'removed';
  error?: ApiErrorBody;
}

/** What one question found: the sources, and (from the live event) the threshold and best score. */
export interface SourceSet {
  sources: Source[];
  min_score?: number;
  best_score?: number;
}

export interface Recommendation extends Omit<wire.Recommendation, 'model' | 'quant'> {
  model: CatalogModel;
  quant: Quant;
}

/** A change to the settings: any of their fields, and the actions the server takes on save. */
export type SettingsPatch = Partial<Settings> & { lan?: boolean; new_api_key?: boolean; remove_api_key?: boolean };
