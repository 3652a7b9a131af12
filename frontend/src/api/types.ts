// The JSON of the /perch API (docs/ui-api.md). Field names follow the Go side.

export interface Features {
  chats: boolean;
  library: boolean;
  catalog: boolean;
  memory: boolean;
  fit: boolean;
  import: boolean;
  settings: boolean;
  /** Document collections (absent from older servers). */
  collections?: boolean;
}

export interface Status {
  version: string;
  address: string;
  api_key_required: boolean;
  features: Features;
  default_model: string;
  loaded: string[];
  generating: boolean;
}

export interface Params {
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  repeat_penalty?: number;
  max_tokens?: number;
  seed?: number;
  think?: boolean;
}

export interface Stats {
  prompt_tokens: number;
  cached_tokens: number;
  completion_tokens: number;
  ttft_ms: number;
  tokens_per_s: number;
  total_ms: number;
}

export type Role = 'user' | 'assistant';

export interface Message {
  id: number;
  chat_id: number;
  role: Role;
  content: string;
  reasoning?: string;
  model?: string;
  stopped?: boolean;
  finish_reason?: string;
  stats?: Stats;
  created_at: string;
}

export interface ContextMeter {
  model: string;
  used_tokens: number;
  context_tokens: number;
  kv_bytes_per_token: number;
  kv_bytes: number;
  loaded: boolean;
}

export interface Chat {
  id: number;
  title: string;
  model: string;
  system: string;
  params: Params;
  created_at: string;
  updated_at: string;
  messages?: Message[];
  context?: ContextMeter;
  generating?: boolean;
}

export interface ChatSummary {
  id: number;
  title: string;
  model: string;
  updated_at: string;
  message_count: number;
  snippet?: string;
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
}

export type Verdict = 'fits' | 'tight' | 'too_large';

export interface Fit {
  weights_bytes: number;
  kv_bytes: number;
  compute_bytes: number;
  overhead_bytes: number;
  total_bytes: number;
  budget_bytes: number;
  verdict: Verdict;
  num_ctx: number;
  max_ctx: number;
  message?: string;
}

export interface Quant {
  name: string;
  ref: string;
  size: number;
  /** The catalog's suggested quantization. */
  recommended?: boolean;
  fit?: Fit;
}

export interface CatalogModel {
  id: string;
  name: string;
  publisher?: string;
  description?: string;
  tags?: string[];
  parameters?: string;
  context_length?: number;
  recommended?: boolean;
  downloads?: number;
  quants: Quant[];
}

export interface RemoteModel {
  ref: string;
  architecture: string;
  parameters: number;
  quantization: string;
  layers: number;
  heads: number;
  kv_heads: number;
  context_length: number;
  has_chat_template: boolean;
  size: number;
}

export interface Recommendation {
  model: CatalogModel;
  quant: Quant;
}

export type PullState = 'queued' | 'downloading' | 'verifying' | 'paused' | 'done' | 'error' | 'cancelled';

export interface Pull {
  id: string;
  ref: string;
  state: PullState;
  phase?: string;
  completed: number;
  total: number;
  rate_bps: number;
  eta_s: number;
  error?: string;
  /** A stable code for error (app/api/errors.go) the UI maps to a sentence. */
  error_code?: string;
  started_at: string;
  updated_at: string;
}

export interface Upload {
  id: string;
  filename: string;
  name: string;
  size: number;
  received: number;
}

export interface MemorySnapshot {
  total_bytes: number;
  used_bytes: number;
  available_bytes: number;
  wired_bytes?: number;
  compressed_bytes?: number;
  swap_used_bytes: number;
  swap_total_bytes: number;
  pressure: 'normal' | 'warn' | 'critical' | string;
  gpu_budget_bytes: number;
  gpu_used_bytes?: number;
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

/** A passage an answer cites. */
export interface Source {
  n: number;
  collection_id: number;
  document_id: number;
  document: string;
  passage_id: number;
  seq: number;
  heading?: string;
  start_line: number;
  end_line: number;
  page?: number;
  score: number;
  text: string;
}

/** What one question found: the sources, and (from the live event) the threshold and best score. */
export interface SourceSet {
  sources: Source[];
  min_score?: number;
  best_score?: number;
}
