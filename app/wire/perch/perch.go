// Package perch holds the wire types of the UI's /perch routes: what the Models, Memory,
// Catalog, Settings and import views send and receive, and the model store's shapes the API
// and its adapters share (LibraryModel, PullProgress). app/tsgen writes their TypeScript
// declarations (frontend/src/api/wire.gen.ts) from these Go types; app/api serves them.
package perch

import (
	"strings"
	"time"

	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/engine"
)

// Features say which optional parts are wired, so the UI shows only what works.
type Features struct {
	Chats    bool `json:"chats"`
	Library  bool `json:"library"`
	Catalog  bool `json:"catalog"`
	Memory   bool `json:"memory"`
	Fit      bool `json:"fit"`
	Import   bool `json:"import"`
	Settings bool `json:"settings"`
	// Collections: documents to chat with (/perch/collections).
	Collections bool `json:"collections"`
	// FolderPicker: the desktop window's folder dialog (POST /perch/desktop/pick-folder).
	FolderPicker bool `json:"folder_picker"`
}

// Status is what GET /perch/status answers: the server, its optional parts, what is loaded.
type Status struct {
	Version      string   `json:"version"`
	Address      string   `json:"address"`
	APIKey       bool     `json:"api_key_required"`
	Features     Features `json:"features"`
	DefaultModel string   `json:"default_model"`
	Loaded       []string `json:"loaded"`
	Generating   bool     `json:"generating"`
}

// MemorySnapshot is the machine's memory at one moment. Zero fields are unknown on this
// platform (wired and compressed exist on macOS only).
type MemorySnapshot struct {
	TotalBytes      int64 `json:"total_bytes"`
	UsedBytes       int64 `json:"used_bytes"`
	AvailableBytes  int64 `json:"available_bytes"`
	WiredBytes      int64 `json:"wired_bytes,omitempty"`
	CompressedBytes int64 `json:"compressed_bytes,omitempty"`
	SwapUsedBytes   int64 `json:"swap_used_bytes"`
	SwapTotalBytes  int64 `json:"swap_total_bytes"`
	// Pressure is normal, warn or critical.
	Pressure string `json:"pressure"`
	// GPUBudgetBytes is what models may use: Metal's working-set limit on Apple Silicon,
	// available RAM on a CPU-only machine.
	GPUBudgetBytes int64 `json:"gpu_budget_bytes"`
	// GPUUsedBytes is what is allocated of it now, where the platform says.
	GPUUsedBytes int64 `json:"gpu_used_bytes,omitempty"`
}

// FitQuery asks whether a model fits this machine. Exactly one of Model (installed) and Ref
// (a reference to download: hf.co/…:QUANT, name:tag, URL) is set.
type FitQuery struct {
	Model         string `json:"model,omitempty"`
	Ref           string `json:"ref,omitempty"`
	ContextLength int    `json:"num_ctx,omitempty"`
	Slots         int    `json:"slots,omitempty"`
	KVType        string `json:"kv_type,omitempty"`
}

// Fit is a memory estimate and its verdict (engine/memplan).
type Fit struct {
	WeightsBytes  int64 `json:"weights_bytes"`
	KVBytes       int64 `json:"kv_bytes"`
	ComputeBytes  int64 `json:"compute_bytes"`
	OverheadBytes int64 `json:"overhead_bytes"`
	TotalBytes    int64 `json:"total_bytes"`
	BudgetBytes   int64 `json:"budget_bytes"`
	// Verdict is fits, tight or too_large.
	Verdict       string `json:"verdict"`
	ContextLength int    `json:"num_ctx"`
	// MaxContext is the largest context that fits (0 when none does).
	MaxContext int    `json:"max_ctx"`
	Message    string `json:"message,omitempty"`
}

// Verdicts of a Fit.
const (
	VerdictFits     = "fits"
	VerdictTight    = "tight"
	VerdictTooLarge = "too_large"
)

// CatalogModel is one model family in the curated catalog or a Hugging Face search result.
type CatalogModel struct {
	ID          string `json:"id"` // "qwen2.5-7b-instruct" or the HF repository "org/repo"
	Name        string `json:"name"`
	Publisher   string `json:"publisher,omitempty"`
	Description string `json:"description,omitempty"`
	// Tags: chat, coding, reasoning, embedding, korean, vision, ...
	Tags          []string `json:"tags,omitempty"`
	Parameters    string   `json:"parameters,omitempty"` // "7B"
	ContextLength int      `json:"context_length,omitempty"`
	Recommended   bool     `json:"recommended,omitempty"`
	Downloads     int64    `json:"downloads,omitempty"` // Hugging Face's count, for search results
	Quants        []Quant  `json:"quants"`
}

// Quant is one downloadable file (or split set) of a catalog model.
type Quant struct {
	Name string `json:"name"` // Q4_K_M
	Ref  string `json:"ref"`  // what to pull: hf.co/org/repo:Q4_K_M
	Size int64  `json:"size"`
	// Recommended marks the publisher's or catalog's suggested quantization.
	Recommended bool `json:"recommended,omitempty"`
	// Fit for this machine at the default context; nil when it could not be estimated.
	Fit *Fit `json:"fit,omitempty"`
}

// RemoteModel is what a GGUF header says, read without downloading the weights.
type RemoteModel struct {
	Ref             string `json:"ref"`
	Architecture    string `json:"architecture"`
	Parameters      uint64 `json:"parameters"`
	Quantization    string `json:"quantization"`
	Layers          int    `json:"layers"`
	Heads           int    `json:"heads"`
	KVHeads         int    `json:"kv_heads"`
	ContextLength   int    `json:"context_length"`
	HasChatTemplate bool   `json:"has_chat_template"`
	SizeBytes       int64  `json:"size"`
}

// Recommendation is the model the empty Models and Chat views offer to download.
type Recommendation struct {
	Model CatalogModel `json:"model"`
	Quant Quant        `json:"quant"`
}

// LibraryModel is a stored model's identity and the facts read from its GGUF.
type LibraryModel struct {
	Name string `json:"name"`
	// DisplayName is the GGUF header's name for people, "Qwen3 8B · Q4_K_M" ("" when none).
	DisplayName string `json:"display_name,omitempty"`
	Digest      string `json:"digest"` // sha256 hex of the GGUF, with or without "sha256:"
	Size        int64  `json:"size"`
	// Path is the GGUF file, shown as the FROM line of /api/show's modelfile.
	Path           string    `json:"path,omitempty"`
	Architecture   string    `json:"architecture"`
	ParameterCount uint64    `json:"parameter_count"`
	Quantization   string    `json:"quantization"`
	ContextLength  int       `json:"context_length"`
	EmbeddingSize  int       `json:"embedding_length,omitempty"`
	ModifiedAt     time.Time `json:"modified_at"`
	// Template is the publisher's prompt template (an Ollama template layer), shown by
	// /api/show; whether the GGUF has a chat template is read from the loaded model.
	Template string `json:"template,omitempty"`
	// ChatTemplate is the GGUF's own (Jinja) chat template, shown when there is no Ollama one.
	ChatTemplate string `json:"chat_template,omitempty"`
	System       string `json:"system,omitempty"`
	License      string `json:"license,omitempty"`
	// Params are the publisher's recommended parameters (an Ollama params layer).
	Params map[string]any `json:"params,omitempty"`
	// Metadata are GGUF key/values (arrays left out), shown as /api/show's model_info.
	Metadata map[string]any `json:"metadata,omitempty"`
	// Embedding is true for embedding-only models.
	Embedding bool `json:"embedding,omitempty"`
	// FIM is true when the vocabulary has fill-in-the-middle tokens.
	FIM bool `json:"fim,omitempty"`
	// External is true for a file in a models directory: served, never deleted.
	External bool `json:"external,omitempty"`
	// Remote is the endpoint that serves a remote model (NAME of NAME/model), at RemoteURL.
	Remote    string `json:"remote,omitempty"`
	RemoteURL string `json:"remote_url,omitempty"`
}

// PullPhase is a step of a pull.
type PullPhase string

// Pull phases, in order.
const (
	PullManifest PullPhase = "manifest" // resolving the reference
	PullDownload PullPhase = "download" // fetching one file (Digest, Total, Completed)
	PullVerify   PullPhase = "verify"   // checking sha256
	PullWrite    PullPhase = "write"    // writing the manifest
	PullDone     PullPhase = "done"
)

// PullProgress is one progress report of a pull. Status, when set, is the library's own
// words in Ollama's form ("pulling manifest", "pulling <digest prefix>", "verifying sha256
// digest", "writing manifest", "success") and is shown as it is; otherwise it is derived from
// Phase. PhaseOf gives the phase of such a status, for adapters.
type PullProgress struct {
	Phase     PullPhase
	Status    string
	Digest    string // "sha256:<hex>" of the file being downloaded
	Total     int64
	Completed int64
	// BytesPerSecond and ETA are the library's estimates for that file (zero: unknown).
	BytesPerSecond float64
	ETA            time.Duration
}

// PhaseOf classifies an Ollama-style pull status.
func PhaseOf(status string) PullPhase {
	switch {
	case status == "pulling manifest":
		return PullManifest
	case strings.HasPrefix(status, "pulling "):
		return PullDownload
	case strings.HasPrefix(status, "verifying"):
		return PullVerify
	case strings.HasPrefix(status, "writing"):
		return PullWrite
	case status == "success":
		return PullDone
	}
	return PullPhase(status)
}

// Model is an installed model as the Models view shows it.
type Model struct {
	Name string `json:"name"`
	// DisplayName is "Qwen3 8B · Q4_K_M" from the GGUF header ("" when it names nothing
	// useful; the UI then shows a name made from the reference).
	DisplayName   string    `json:"display_name,omitempty"`
	Size          int64     `json:"size"`
	Quantization  string    `json:"quantization"`
	Architecture  string    `json:"architecture"`
	Parameters    uint64    `json:"parameters"`
	ContextLength int       `json:"context_length"`
	ModifiedAt    time.Time `json:"modified_at"`
	Embedding     bool      `json:"embedding,omitempty"`
	Default       bool      `json:"default"`
	// External models are files in a models directory: served, never deleted.
	External bool `json:"external,omitempty"`
	// LastUsed is when the model last answered in a chat here (zero: never).
	LastUsed *time.Time   `json:"last_used,omitempty"`
	Loaded   *LoadedModel `json:"loaded,omitempty"`
	// Fit is whether the model fits this machine at the default context, as the catalog
	// judges it (absent for loaded and embedding models, or without estimates).
	Fit *Fit `json:"fit,omitempty"`
	// Remote says where a remote model (NAME/model) runs; nil for this Mac's models.
	Remote *RemoteWhere `json:"remote,omitempty"`
}

// LoadedModel is what a resident model holds.
type LoadedModel struct {
	SlotCtx    int                `json:"slot_ctx"`
	Slots      int                `json:"slots"`
	Busy       int                `json:"busy"`
	Generating bool               `json:"generating"`
	Memory     engine.MemoryUsage `json:"memory"`
	LoadedAt   time.Time          `json:"loaded_at"`
	ExpiresAt  *time.Time         `json:"expires_at,omitempty"`
}

// RemoteWhere says where a remote model runs, for the Models view and the picker.
type RemoteWhere struct {
	Endpoint  string  `json:"endpoint"`
	URL       string  `json:"url"`
	Reachable bool    `json:"reachable"`
	LatencyMs float64 `json:"latency_ms"`
	LastError string  `json:"last_error,omitempty"`
	// Memory says the model uses none of this Mac's memory.
	Memory string `json:"memory"`
}

// MemoryView is one sample for the Memory view: the machine, and what each loaded model
// holds, against the budget models may use.
type MemoryView struct {
	System    *MemorySnapshot `json:"system,omitempty"`
	Models    []ModelMemory   `json:"models"`
	SampledAt time.Time       `json:"sampled_at"`
}

// ModelMemory is what one loaded model holds, by part.
type ModelMemory struct {
	Name         string `json:"name"`
	WeightsBytes int64  `json:"weights_bytes"`
	KVBytes      int64  `json:"kv_bytes"`
	KVUsedBytes  int64  `json:"kv_used_bytes"`
	ComputeBytes int64  `json:"compute_bytes"`
	OtherBytes   int64  `json:"other_bytes"`
	RSSBytes     int64  `json:"rss_bytes"`
	Device       string `json:"device,omitempty"`
	Generating   bool   `json:"generating"`
	// ContextTokens is the model's context per slot; ExpiresAt is when keep-alive unloads it
	// (absent while it is in use or kept for good), for the Memory view's countdown.
	ContextTokens int        `json:"context_tokens,omitempty"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	// KVType (f16, q8_0, q4_0) and FlashAttn (auto, on, off) are what the model was loaded
	// with; the settings' defaults apply only to later loads.
	KVType    string `json:"kv_type"`
	FlashAttn string `json:"flash_attn"`
	// FlashAttnUsed is what FlashAttn came to, on or off: "auto" is llama.cpp's choice.
	FlashAttnUsed string `json:"flash_attn_used,omitempty"`
}

// TokenizeResponse is what POST /perch/tokenize answers.
type TokenizeResponse struct {
	Model      string       `json:"model"`
	Tokens     []TokenPiece `json:"tokens"`
	Count      int          `json:"count"`
	Characters int          `json:"characters"`
	Bytes      int          `json:"bytes"`
	// TokensPerChar is count ÷ characters (0 for empty text).
	TokensPerChar float64 `json:"tokens_per_char"`
}

// TokenPiece is a token's id and its text. A piece that is only part of a UTF-8 character
// (byte-fallback tokens splitting Hangul, for instance) is not valid text on its own: Piece
// then shows the bytes as <0xEA>, and Bytes carries them.
type TokenPiece struct {
	ID    int32  `json:"id"`
	Piece string `json:"piece"`
	Bytes []int  `json:"bytes,omitempty"`
}

// SettingsView is what GET and PUT /perch/settings answer.
type SettingsView struct {
	Settings config.Settings `json:"settings"`
	// LAN is true when the address reaches beyond this machine.
	LAN bool `json:"lan"`
	// Listening is the address the server listens on now.
	Listening string `json:"listening"`
	// RestartNeeded names the changed settings that take effect when Perch restarts.
	RestartNeeded []string `json:"restart_needed"`
	// CanRestart says POST /perch/restart restarts the server (else Perch itself must be).
	CanRestart bool `json:"can_restart"`
}

// StorageDir is a folder holding models.
type StorageDir struct {
	Path string `json:"path"`
	// Kind is "downloads" (new downloads go here), "earlier" (an earlier downloads folder,
	// still served) or "folder" (a models folder served as it is).
	Kind       string `json:"kind"`
	UsedBytes  int64  `json:"used_bytes"`
	Files      int    `json:"files"`
	FreeBytes  uint64 `json:"free_bytes"`
	TotalBytes uint64 `json:"total_bytes"`
	// Error says why the folder could not be read (a disk not mounted).
	Error string `json:"error,omitempty"`
}

// StorageView is what GET /perch/settings/storage answers.
type StorageView struct {
	Dirs []StorageDir `json:"dirs"`
}

// HFTokenView is what the token routes answer: never the token, only its last characters.
type HFTokenView struct {
	Set bool `json:"set"`
	// Last4 are the token's last four characters, to tell tokens apart.
	Last4 string `json:"last4,omitempty"`
	// Source is "settings" or "environment".
	Source string `json:"source,omitempty"`
}

// DeleteChatsResult is what POST /perch/chats/delete answers.
type DeleteChatsResult struct {
	Deleted int `json:"deleted"`
}

// ImportPathRequest imports a GGUF file on this machine by its path (POST /perch/models/import).
type ImportPathRequest struct {
	Path string `json:"path"`
	Name string `json:"name"`
}

// UploadStartRequest starts an upload of a GGUF file the browser sends (POST /perch/uploads).
type UploadStartRequest struct {
	Filename string `json:"filename"`
	Size     int64  `json:"size"`
	Name     string `json:"name"`
}
