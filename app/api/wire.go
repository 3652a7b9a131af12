package api

import (
	"github.com/perchapp/perch/app/wire"
	ollamawire "github.com/perchapp/perch/app/wire/ollama"
	openaiwire "github.com/perchapp/perch/app/wire/openai"
)

// The wire types live in leaf packages (app/wire/openai, app/wire/ollama), shared with the
// CLI's client; the handlers know them by these short names.

type (
	oaiChatRequest          = openaiwire.ChatRequest
	oaiStreamOpts           = openaiwire.StreamOpts
	oaiMessage              = openaiwire.Message
	oaiContentPart          = openaiwire.ContentPart
	oaiTool                 = openaiwire.Tool
	oaiFunction             = openaiwire.Function
	oaiToolCall             = openaiwire.ToolCall
	oaiFunctionCall         = openaiwire.FunctionCall
	oaiChatResponse         = openaiwire.ChatResponse
	oaiChatChoice           = openaiwire.ChatChoice
	oaiRespMessage          = openaiwire.ResponseMessage
	oaiChatLogprobs         = openaiwire.ChatLogprobs
	oaiTokenLogprob         = openaiwire.TokenLogprob
	oaiTopLogprob           = openaiwire.TopLogprob
	oaiUsage                = openaiwire.Usage
	oaiPromptDetails        = openaiwire.PromptDetails
	oaiCompletionDets       = openaiwire.CompletionDetails
	oaiChatChunk            = openaiwire.ChatChunk
	oaiChunkChoice          = openaiwire.ChunkChoice
	oaiDelta                = openaiwire.Delta
	oaiCompletionRequest    = openaiwire.CompletionRequest
	oaiCompletionResponse   = openaiwire.CompletionResponse
	oaiCompletionChoice     = openaiwire.CompletionChoice
	oaiLegacyLogprobs       = openaiwire.LegacyLogprobs
	oaiEmbeddingRequest     = openaiwire.EmbeddingRequest
	oaiEmbeddingResponse    = openaiwire.EmbeddingResponse
	oaiEmbedding            = openaiwire.Embedding
	oaiEmbedUsage           = openaiwire.EmbedUsage
	oaiModel                = openaiwire.Model
	oaiModelList            = openaiwire.ModelList
	respResponse            = openaiwire.Response
	respError               = openaiwire.ResponseError
	respIncomplete          = openaiwire.IncompleteDetails
	respTextOut             = openaiwire.ResponseText
	respOutputItem          = openaiwire.OutputItem
	respOutputPart          = openaiwire.OutputPart
	respUsage               = openaiwire.ResponseUsage
	respInputDetails        = openaiwire.InputTokensDetails
	respOutputDetails       = openaiwire.OutputTokensDetails
	ollamaGenerateRequest   = ollamawire.GenerateRequest
	ollamaChatRequest       = ollamawire.ChatRequest
	ollamaMessage           = ollamawire.Message
	ollamaToolCall          = ollamawire.ToolCall
	ollamaFunctionCall      = ollamawire.FunctionCall
	ollamaMetrics           = ollamawire.Metrics
	ollamaLogprob           = ollamawire.Logprob
	ollamaTokenLogprob      = ollamawire.TokenLogprob
	ollamaGenerateResponse  = ollamawire.GenerateResponse
	ollamaChatResponse      = ollamawire.ChatResponse
	ollamaRespMessage       = ollamawire.ResponseMessage
	ollamaEmbedRequest      = ollamawire.EmbedRequest
	ollamaEmbedResponse     = ollamawire.EmbedResponse
	ollamaEmbeddingsRequest = ollamawire.EmbeddingsRequest
	ollamaModelDetails      = ollamawire.ModelDetails
	ollamaListModel         = ollamawire.ListModel
	ollamaProcessModel      = ollamawire.ProcessModel
	ollamaNameRequest       = ollamawire.NameRequest
	ollamaShowResponse      = ollamawire.ShowResponse
	ollamaCopyRequest       = ollamawire.CopyRequest
	ollamaProgress          = ollamawire.Progress
)

// The pure conversions and field checks live beside the wire types; the handlers call them
// by these short names.
var (
	jsonKind          = wire.JSONKind
	isNull            = wire.IsNull
	stringOrList      = wire.StringOrList
	validateModelName = wire.ValidateModelName
	validatePullRef   = wire.ValidatePullRef
	parseKeepAlive    = wire.ParseKeepAlive
)

var (
	argumentsFromString         = openaiwire.ArgumentsFromString
	argumentsObject             = openaiwire.ArgumentsObject
	argumentsString             = openaiwire.ArgumentsString
	byteInts                    = openaiwire.ByteInts
	chatChoiceFromResult        = openaiwire.ChatChoiceFromResult
	chatRequestFromOpenAI       = openaiwire.ChatRequestFromOpenAI
	completionRequestFromOpenAI = openaiwire.CompletionRequestFromOpenAI
	embedInputs                 = openaiwire.EmbedInputs
	encodeEmbedding             = openaiwire.EncodeEmbedding
	finishReason                = openaiwire.FinishReason
	legacyLogprobs              = openaiwire.LegacyLogprobsOf
	logprobsToOpenAI            = openaiwire.LogprobsToOpenAI
	newID                       = openaiwire.NewID
	openAISampling              = openaiwire.OpenAISampling
	parseMaxTokens              = openaiwire.ParseMaxTokens
	schemaFormat                = openaiwire.SchemaFormat
	thinkFromEffort             = openaiwire.ThinkFromEffort
	toolCallsToOpenAI           = openaiwire.ToolCallsToOpenAI
	toolChoiceFromOpenAI        = openaiwire.ToolChoiceFromOpenAI
	toolsFromOpenAI             = openaiwire.ToolsFromOpenAI
	usageToOpenAI               = openaiwire.UsageToOpenAI
)

const (
	maxStops       = openaiwire.MaxStops
	maxTopLogprobs = openaiwire.MaxTopLogprobs
)

type (
	completionPrompt = openaiwire.CompletionPrompt
	samplingParams   = openaiwire.SamplingParams
)

var (
	respAnswer        = openaiwire.RespAnswer
	respCallItem      = openaiwire.RespCallItem
	respFinish        = openaiwire.RespFinish
	respItemStatus    = openaiwire.RespItemStatus
	respMessageItem   = openaiwire.RespMessageItem
	respNameCalls     = openaiwire.RespNameCalls
	respOutput        = openaiwire.RespOutput
	respReasoningItem = openaiwire.RespReasoningItem
	respRequestToChat = openaiwire.RespRequestToChat
	respShell         = openaiwire.RespShell
	respTextPart      = openaiwire.RespTextPart
)

type (
	respConversation = openaiwire.RespConversation
	respRequest      = openaiwire.RespRequest
)

var (
	logprobsToOllama   = ollamawire.LogprobsToOllama
	messagesFromOllama = ollamawire.MessagesFromOllama
	metricsFromEngine  = ollamawire.MetricsFromEngine
	ollamaDoneReason   = ollamawire.DoneReason
	ollamaOptions      = ollamawire.RunOptions
	parseOllamaFormat  = ollamawire.ParseFormat
	parseThink         = ollamawire.ParseThink
	refuseImages       = ollamawire.RefuseImages
	renderGoTemplate   = ollamawire.RenderGoTemplate
	toolCallsToOllama  = ollamawire.ToolCallsToOllama
)

type ollamaRun = ollamawire.Run
