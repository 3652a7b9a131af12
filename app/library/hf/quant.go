package hf

import (
	"cmp"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// File is a file in a repository.
type File struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
	// SHA256 is the LFS object id (hex), which is the file's sha256; empty for files not in
	// LFS, whose digest is then computed on download.
	SHA256 string `json:"sha256,omitempty"`
}

// Quant is one quantization a repository offers: a GGUF file, or the parts of a split one.
type Quant struct {
	// Name is the quantization in upper case ("Q4_K_M", "IQ4_XS", "UD-Q4_K_XL", "F16"), or
	// the file name without .gguf when the name carries none.
	Name  string `json:"name"`
	Files []File `json:"files"` // in part order
	Size  int64  `json:"size"`
}

// quantToken matches a quantization as it appears in GGUF file names (the llama.cpp types,
// with Unsloth's and ARM's variants).
var quantToken = regexp.MustCompile(`^(?i:IQ[1-4]_(?:XXS|XS|S|M|NL)|Q[2-8]_K(?:_(?:S|M|L|XL))?|Q[4-8]_[01](?:_[48]_[48])?|TQ[12]_0|BF16|F16|F32|FP16|MXFP4(?:_MOE)?)$`)

var shardSuffix = regexp.MustCompile(`(?i)-(\d{5})-of-(\d{5})$`)

// IsQuant says whether s names a quantization, such as q4_k_m or UD-Q4_K_XL.
func IsQuant(s string) bool {
	s = strings.TrimPrefix(strings.ToUpper(s), "UD-")
	return quantToken.MatchString(s)
}

// QuantOf returns the quantization a GGUF file name carries, in upper case, or "".
func QuantOf(name string) string {
	stem := strings.TrimSuffix(path.Base(name), path.Ext(name))
	stem = shardSuffix.ReplaceAllString(stem, "")
	toks := strings.FieldsFunc(stem, func(r rune) bool { return r == '-' || r == '.' })
	for i := len(toks) - 1; i >= 0; i-- {
		if quantToken.MatchString(toks[i]) {
			q := canonical(toks[i])
			if i > 0 && strings.EqualFold(toks[i-1], "UD") {
				q = "UD-" + q
			}
			return q
		}
	}
	return ""
}

// canonical spells a quantization the way llama.cpp does: upper case, FP16 as F16.
func canonical(q string) string {
	q = strings.ToUpper(q)
	if q == "FP16" {
		return "F16"
	}
	return q
}

// Shard reads "-00002-of-00003" at the end of a .gguf name (a path or a file name): the part,
// the count and the name without it and the extension; count 0 when it is not a split part.
func Shard(name string) (part, count int, prefix string) {
	stem := strings.TrimSuffix(name, path.Ext(name))
	m := shardSuffix.FindStringSubmatchIndex(stem)
	if m == nil {
		return 0, 0, stem
	}
	part, _ = strconv.Atoi(stem[m[2]:m[3]])
	count, _ = strconv.Atoi(stem[m[4]:m[5]])
	return part, count, stem[:m[0]]
}

// ShardName is the name of part (from 1) of a split GGUF of count parts named prefix.
func ShardName(prefix string, part, count int) string {
	return fmt.Sprintf("%s-%05d-of-%05d.gguf", prefix, part, count)
}

// IsModelFile says whether a repository file is a GGUF model: not a vision projector
// (mmproj), an importance matrix or a LoRA adapter, which are GGUF too.
func IsModelFile(p string) bool {
	base := strings.ToLower(path.Base(p))
	if !strings.HasSuffix(base, ".gguf") {
		return false
	}
	toks := strings.FieldsFunc(strings.TrimSuffix(base, ".gguf"), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	for _, t := range toks {
		switch t {
		case "mmproj", "imatrix", "lora", "vocab":
			return false
		}
	}
	return true
}

// Quants groups a repository's GGUF files by quantization, most recommended first. A split
// GGUF becomes one entry with its parts in order (an incomplete split is left out). When two
// files claim the same quantization (two model sizes in one repository), the first by path
// keeps it and the other is offered under its file name.
func Quants(files []File) []Quant {
	type group struct {
		prefix string
		count  int
		parts  map[int]File
	}
	groups := map[string]*group{} // by path without the shard suffix
	var order []string
	for _, f := range files {
		if !IsModelFile(f.Path) {
			continue
		}
		part, count, prefix := Shard(f.Path)
		g := groups[prefix]
		if g == nil {
			g = &group{prefix: prefix, count: count, parts: map[int]File{}}
			groups[prefix] = g
			order = append(order, prefix)
		}
		g.parts[part] = f
	}
	slices.Sort(order)
	var out []Quant
	taken := map[string]bool{}
	for _, prefix := range order {
		g := groups[prefix]
		var q Quant
		if g.count == 0 {
			q.Files = []File{g.parts[0]}
		} else {
			complete := true
			for i := 1; i <= g.count; i++ {
				f, ok := g.parts[i]
				if !ok {
					complete = false
					break
				}
				q.Files = append(q.Files, f)
			}
			if !complete {
				continue
			}
		}
		for _, f := range q.Files {
			q.Size += f.Size
		}
		q.Name = QuantOf(q.Files[0].Path)
		if q.Name == "" {
			// The folder may carry it: Q4_K_M/Model-00001-of-00002.gguf.
			q.Name = QuantOf(path.Dir(q.Files[0].Path) + ".gguf")
		}
		if q.Name == "" || taken[q.Name] {
			q.Name = path.Base(g.prefix)
		}
		taken[q.Name] = true
		out = append(out, q)
	}
	slices.SortStableFunc(out, func(a, b Quant) int { return cmp.Compare(rank(a.Name), rank(b.Name)) })
	return out
}

// preference is the order a quantization is chosen in when the reference names none: the
// usual best size/quality trade-off first (as Ollama and LM Studio default to Q4_K_M), then
// near ones, then larger, then smaller, then unquantized.
var preference = []string{
	"Q4_K_M", "UD-Q4_K_XL", "Q4_K_XL", "Q4_K_S", "IQ4_XS", "IQ4_NL", "Q4_0", "Q4_1",
	"Q5_K_M", "Q5_K_S", "Q5_0", "Q6_K", "Q6_K_L", "Q8_0", "MXFP4", "MXFP4_MOE",
	"Q3_K_L", "Q3_K_M", "IQ3_M", "Q3_K_S", "IQ3_XS", "IQ3_XXS", "Q2_K_L", "Q2_K", "IQ2_M",
	"IQ2_S", "IQ2_XS", "IQ2_XXS", "IQ1_M", "IQ1_S", "F16", "BF16", "F32",
}

// Rank orders quantization names by preference (lower is preferred).
func Rank(name string) int { return rank(strings.ToUpper(name)) }

func rank(name string) int {
	if i := slices.Index(preference, name); i >= 0 {
		return i
	}
	if IsQuant(name) {
		return len(preference)
	}
	return len(preference) + 1 // named by file: last
}

// NoQuantError says a repository has no GGUF of the quantization asked for, or none at all.
type NoQuantError struct {
	Repo string
	Want string   // "" when no tag was given
	Have []string // what the repository offers
}

func (e *NoQuantError) Error() string {
	if len(e.Have) == 0 {
		return fmt.Sprintf("hf.co/%s has no GGUF files; Perch runs GGUF models (look for a repository with -GGUF in its name)", e.Repo)
	}
	return fmt.Sprintf("hf.co/%s has no %s GGUF; it has: %s (pull one with hf.co/%s:%s)",
		e.Repo, e.Want, strings.Join(e.Have, ", "), e.Repo, e.Have[0])
}

// Pick chooses the quantization tag names (case-insensitive; also a file name without
// .gguf), or the recommended one when tag is "".
func Pick(repo string, files []File, tag string) (Quant, error) {
	qs := Quants(files)
	var names []string
	for _, q := range qs {
		names = append(names, q.Name)
	}
	if len(qs) == 0 {
		return Quant{}, &NoQuantError{Repo: repo, Want: tag}
	}
	if tag == "" {
		return qs[0], nil
	}
	want := canonical(tag)
	for _, q := range qs {
		if q.Name == want || strings.TrimPrefix(q.Name, "UD-") == want {
			return q, nil
		}
	}
	for _, q := range qs {
		_, _, stem := Shard(path.Base(q.Files[0].Path))
		if strings.EqualFold(stem, tag) {
			return q, nil
		}
	}
	return Quant{}, &NoQuantError{Repo: repo, Want: tag, Have: names}
}
