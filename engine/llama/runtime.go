// Package llama is the only code in Perch that touches llama.cpp. It wraps the yzma bindings in
// small Go types (Model, Context, Batch, Sampler) so the rest of the engine never sees a C
// pointer, and it captures llama.cpp's log so the sizes it reports can be read back.
package llama

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
	yz "github.com/hybridgroup/yzma/pkg/llama"
)

// EnvLib names the environment variable that, when set, is the only place the libraries are
// looked for.
const EnvLib = "PERCH_LLAMA_LIB"

// libFile is the plain name yzma's loader opens first; its presence marks a usable folder.
func libFile() string {
	if runtime.GOOS == "darwin" {
		return "libllama.dylib"
	}
	return "libllama.so"
}

// Platform is the folder name of this platform's runtime under build/engine/lib.
func Platform() string { return runtime.GOOS + "-" + runtime.GOARCH }

// Candidates lists, in order, the folders where the engine libraries are looked for.
func Candidates() []string {
	if dir := os.Getenv(EnvLib); dir != "" {
		return []string{dir}
	}
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		bin := filepath.Dir(exe)
		dirs = append(dirs,
			filepath.Join(bin, "..", "Frameworks"), // Perch.app/Contents/MacOS/perch
			filepath.Join(bin, "lib"),
			filepath.Join(bin, "..", "build", "engine", "lib", Platform()), // ./bin/perch in a checkout
		)
	}
	// The development path from the working directory or any folder above it (go test runs in
	// the package folder).
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				dirs = append(dirs, filepath.Join(dir, "build", "engine", "lib", Platform()))
				break
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	seen := map[string]bool{}
	out := dirs[:0]
	for _, d := range dirs {
		d = filepath.Clean(d)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// Locate returns the first candidate folder that holds the engine libraries, or one error that
// names every place looked at.
func Locate() (string, error) {
	cands := Candidates()
	for _, d := range cands {
		if _, err := os.Stat(filepath.Join(d, libFile())); err == nil {
			return d, nil
		}
	}
	hint := "run `make build` (it installs the pinned @node-llama-cpp package), or set " + EnvLib + " to a folder holding " + libFile()
	return "", fmt.Errorf("llama.cpp libraries not found (%s); looked in: %s; %s",
		libFile(), strings.Join(cands, ", "), hint)
}

// BuildInfo is what the npm package recorded about the llama.cpp build.
type BuildInfo struct {
	Release  string `json:"release"`
	Platform string `json:"platform"`
	Arch     string `json:"arch"`
	GPU      any    `json:"gpu"`
}

// ReadBuildInfo reads _nlcBuildMetadata.json from a runtime folder, when present.
func ReadBuildInfo(dir string) (BuildInfo, error) {
	b, err := os.ReadFile(filepath.Join(dir, "_nlcBuildMetadata.json"))
	if err != nil {
		return BuildInfo{}, err
	}
	var m struct {
		BuildOptions struct {
			Platform string `json:"platform"`
			Arch     string `json:"arch"`
			GPU      any    `json:"gpu"`
			LlamaCpp struct {
				Release string `json:"release"`
			} `json:"llamaCpp"`
		} `json:"buildOptions"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return BuildInfo{}, fmt.Errorf("read build metadata: %w", err)
	}
	return BuildInfo{Release: m.BuildOptions.LlamaCpp.Release, Platform: m.BuildOptions.Platform,
		Arch: m.BuildOptions.Arch, GPU: m.BuildOptions.GPU}, nil
}

var (
	initOnce sync.Once
	initErr  error
	libDir   string
)

// Init loads the libraries from dir (Locate's answer when dir is empty) once per process, routes
// llama.cpp's log to the log sink, and loads the compute backends found beside the libraries.
func Init(dir string) error {
	initOnce.Do(func() {
		if dir == "" {
			dir, initErr = Locate()
			if initErr != nil {
				return
			}
		}
		if err := yz.Load(dir); err != nil {
			initErr = fmt.Errorf("load llama.cpp from %s: %w (the folder must hold the pinned @node-llama-cpp 3.21.1 build; set %s to another)", dir, err, EnvLib)
			return
		}
		if err := bindText(dir); err != nil {
			initErr = err
			return
		}
		libDir = dir
		yz.LogSet(logCallback())
		yz.Init()
	})
	return initErr
}

// Dir returns the folder the libraries were loaded from.
func Dir() string { return libDir }

// SystemInfo is llama.cpp's one-line description of the CPU features and backends in use.
func SystemInfo() string { return yz.PrintSystemInfo() }

// Device is a compute device ggml found (CPU, Metal GPU, ...), with its memory.
type Device struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Type        string `json:"type"`
	FreeBytes   uint64 `json:"free_bytes"`
	TotalBytes  uint64 `json:"total_bytes"`
}

// Devices lists the backend devices, GPUs first as ggml orders them.
func Devices() []Device {
	n := yz.GGMLBackendDeviceCount()
	out := make([]Device, 0, n)
	for i := uint64(0); i < n; i++ {
		d := yz.GGMLBackendDeviceGet(i)
		if d == 0 {
			continue
		}
		free, total := yz.GGMLBackendDeviceMemory(d)
		out = append(out, Device{
			Name:        yz.GGMLBackendDeviceName(d),
			Description: yz.GGMLBackendDeviceDescription(d),
			Type:        strings.ToLower(yz.GGMLBackendDevType(d).String()),
			FreeBytes:   free,
			TotalBytes:  total,
		})
	}
	return out
}

// Backends lists the names of the registered ggml backends (CPU, Metal, BLAS, ...).
func Backends() []string {
	n := yz.GGMLBackendRegCount()
	out := make([]string, 0, n)
	for i := uint64(0); i < n; i++ {
		if r := yz.GGMLBackendRegGet(i); r != 0 {
			out = append(out, yz.GGMLBackendRegName(r))
		}
	}
	return out
}

// SupportsGPUOffload reports whether a GPU backend (Metal) can take model layers.
func SupportsGPUOffload() bool { return yz.SupportsGpuOffload() }

// LogFunc receives one complete line of llama.cpp's log with its level (debug, info, warn,
// error).
type LogFunc func(level, line string)

var (
	logMu   sync.Mutex
	logSink LogFunc
	logBuf  strings.Builder
	logLvl  string
	logCB   uintptr
	logTap  func(line string)
)

// tapLog also hands every complete log line to fn until the returned function is called.
// llama.cpp logs on the calling thread, so a tap around one call sees that call's lines (and
// whatever another thread logs meanwhile: a tap looks only for lines its call writes).
func tapLog(fn func(line string)) (untap func()) {
	logMu.Lock()
	logTap = fn
	logMu.Unlock()
	return func() {
		logMu.Lock()
		logTap = nil
		logMu.Unlock()
	}
}

// SetLogSink routes llama.cpp's log lines to fn (nil discards them).
func SetLogSink(fn LogFunc) {
	logMu.Lock()
	logSink = fn
	logMu.Unlock()
}

func logCallback() uintptr {
	if logCB == 0 {
		// One callback for the process: purego can only make a bounded number of them.
		logCB = purego.NewCallback(func(level int32, text *byte, _ uintptr) uintptr {
			onLog(yz.LogLevel(level), goString(text))
			return 0
		})
	}
	return logCB
}

func onLog(level yz.LogLevel, text string) {
	logMu.Lock()
	defer logMu.Unlock()
	if level != yz.LogLevelContinue {
		logLvl = levelName(level)
	}
	logBuf.WriteString(text)
	s := logBuf.String()
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(s[:i], "\r")
		if logTap != nil {
			logTap(line)
		}
		if logSink != nil {
			logSink(logLvl, line)
		}
		s = s[i+1:]
	}
	logBuf.Reset()
	logBuf.WriteString(s)
}

func levelName(l yz.LogLevel) string {
	switch l {
	case yz.LogLevelDebug:
		return "debug"
	case yz.LogLevelWarn:
		return "warn"
	case yz.LogLevelError:
		return "error"
	default:
		return "info"
	}
}

// goString copies a NUL-terminated C string.
func goString(p *byte) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}

// ErrNotInitialized is returned when a function needs the libraries before Init succeeded.
var ErrNotInitialized = errors.New("llama.cpp is not initialised")
