package hf

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// SearchResult is a GGUF repository found by Search.
type SearchResult struct {
	Repo         string    `json:"repo"`
	Downloads    int       `json:"downloads"`
	Likes        int       `json:"likes"`
	LastModified time.Time `json:"last_modified"`
	// Quants are the quantizations its file names show, most recommended first.
	Quants []string `json:"quants"`
	Tags   []string `json:"tags,omitempty"`
}

// Search finds GGUF repositories matching text, most downloaded first (limit 1 to 100).
func (c *Client) Search(ctx context.Context, text string, limit int) ([]SearchResult, error) {
	limit = min(max(limit, 1), 100)
	q := url.Values{}
	q.Set("search", text)
	q.Set("filter", "gguf")
	q.Set("sort", "downloads")
	q.Set("direction", "-1")
	q.Set("limit", strconv.Itoa(limit))
	q.Set("full", "true") // with the file list, for the quantizations
	var models []ModelInfo
	if err := c.getJSON(ctx, "", c.endpoint+"/api/models?"+q.Encode(), &models, nil); err != nil {
		return nil, err
	}
	out := make([]SearchResult, 0, len(models))
	for _, m := range models {
		var files []File
		for _, s := range m.Siblings {
			files = append(files, File{Path: s.RFilename})
		}
		r := SearchResult{Repo: m.ID, Downloads: m.Downloads, Likes: m.Likes, LastModified: m.LastModified, Tags: m.Tags}
		for _, q := range Quants(files) {
			if !slices.Contains(r.Quants, q.Name) {
				r.Quants = append(r.Quants, q.Name)
			}
		}
		out = append(out, r)
	}
	return out, nil
}
