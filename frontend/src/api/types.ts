// The JSON of the /perch API (docs/ui-api.md). Field names follow the Go side.
// The types that match the Go structs exactly are generated from them (wire.gen.ts, by
// app/tsgen; `go generate ./app/api`); the others extend them, narrowing a few fields
// (unions for enums, fields older servers lack).
import type * as wire from './wire.gen';
import type { ContextMeter, Source } from './wire.gen';

export type { ChatSummary, ContextMeter, Params, RemoteModel, Source, Stats, Upload } from './wire.gen';

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

export interface MemoryUsage {
  weights_bytes: number;
  kv_bytes: number;
  compute_bytes: number;
  output_bytes: number;
  kv_used_bytes: number;
  kv_used_cells: number;
  kv_cells: number;
  rss_bytes: number;
  device?: string;
}

export interface LoadedInfo {
  slot_ctx: number;
  slots: number;
  busy: number;
  generating: boolean;
  memory: MemoryUsage;
  loaded_at: string;
  expires_at?: string;
}

export interface Model {
  name: string;
  size: number;
  quantization: string;
  architecture: string;
  parameters: number;
  context_length: number;
  modified_at: string;
  embedding?: boolean;
  default: boolean;
  /** "Qwen3 8B · Q4_K_M" from the GGUF header, where the server sends it (else the UI derives one from name). */
  display_name?: string;
  /** Whether it fits this Mac at the default context (absent for loaded and embedding models). */
  fit?: Fit;
  /** A file in a models directory: served, never deleted. */
  external?: boolean;
  last_used?: string;
  loaded?: LoadedInfo;
  /** Where a model on another machine runs (perch remote add); absent for this Mac's models. */
  remote?: RemoteWhere;
}

export interface RemoteWhere {
  endpoint: string;
  url: string;
  reachable: boolean;
  latency_ms: number;
  last_error?: string;
  /** Says the model uses none of this Mac's memory. */
  memory: string;
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

export interface Recommendation {
  model: CatalogModel;
  quant: Quant;
}

export type PullState = 'queued' | 'downloading' | 'verifying' | 'paused' | 'done' | 'error' | 'cancelled';

export interface Pull extends Omit<wire.Pull, 'state'> {
  state: PullState;
}

export interface MemorySnapshot extends Omit<wire.MemorySnapshot, 'pressure'> {
  pressure: 'normal' | 'warn' | 'critical' | string;
}

export interface ModelMemory {
  name: string;
  weights_bytes: number;
  kv_bytes: number;
  kv_used_bytes: number;
  compute_bytes: number;
  other_bytes: number;
  rss_bytes: number;
  device?: string;
  generating: boolean;
  context_tokens?: number;
  /** When keep-alive unloads the model; absent while in use or kept for good. */
  expires_at?: string;
}

export interface MemoryView {
  system?: MemorySnapshot;
  models: ModelMemory[];
  sampled_at: string;
}

export interface TokenPiece {
  id: number;
  piece: string;
  bytes?: number[];
}

export interface TokenizeResult {
  model: string;
  tokens: TokenPiece[];
  count: number;
  characters: number;
  bytes: number;
  tokens_per_char: number;
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
  max_loaded: number;
  default_model?: string;
  models_dirs?: string[] | null;
  launch_at_login: boolean;
  language: Language;
  theme: Theme;
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

export interface Collection {
  id: number;
  name: string;
  embedding_model: string;
  query_prefix: string;
  document_prefix: string;
  /** The relevance a passage needs to be cited. */
  min_score: number;
  documents: number;
  passages: number;
  dimensions: number;
  stale_documents: number;
  status: CollectionStatus;
  created_at: string;
  updated_at: string;
  /** Set on create and update when the embedding model is a chat model. */
  warning?: string;
}

/** A document in a collection (DocInfo: the DOM already has a Document). */
export interface DocInfo {
  id: number;
  collection_id: number;
  name: string;
  /** The file it was read from, for documents added from a folder. */
  source?: string;
  format: string;
  size: number;
  hash: string;
  passages: number;
  pages?: number;
  embedding_model: string;
  stale: boolean;
  created_at: string;
  updated_at: string;
}

export interface Passage {
  id: number;
  document_id: number;
  seq: number;
  heading?: string;
  text: string;
  start: number;
  end: number;
  start_line: number;
  end_line: number;
  page?: number;
}

export interface SearchResult extends Passage {
  document: string;
  source?: string;
  score: number;
  similarity: number;
  keyword: number;
}

export interface SearchResponse {
  results: SearchResult[];
  min_score: number;
  best_score: number;
  searched: number;
}

export interface AddedDocument {
  id: number;
  passages: number;
  status: 'indexed' | 'unchanged';
  document: DocInfo;
}

export interface IndexSkip {
  path: string;
  reason: string;
}

export interface IndexSummary {
  files: number;
  indexed: number;
  unchanged: number;
  skipped: number;
  removed: number;
  embedded: number;
  skips: IndexSkip[];
  elapsed_ms: number;
  passages_per_second: number;
}

/** One SSE event of a folder or re-indexing run. */
export interface IndexEvent {
  phase: 'scan' | 'embed' | 'file' | 'done' | 'summary' | 'error';
  path?: string;
  status?: 'indexed' | 'unchanged' | 'skipped' | 'removed';
  reason?: string;
  passages?: number;
  of?: number;
  done: number;
  total: number;
  embedded: number;
  elapsed_ms: number;
  summary?: IndexSummary;
  error?: ApiErrorBody;
}

/** What one question found: the sources, and (from the live event) the threshold and best score. */
export interface SourceSet {
  sources: Source[];
  min_score?: number;
  best_score?: number;
}
