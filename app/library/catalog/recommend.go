package catalog

import (
	"slices"
	"strings"

	"github.com/perchapp/perch/app/wire/perch"
)

// Recommend picks the model the empty Models and Chat views offer to download: from the
// catalog's recommended chat models (those strong in Korean first when lang is "ko"), the
// first with a quantization that fits this machine, taking the catalog's suggested
// quantization when it fits, else Q4_K_M, else the largest that does. ms carry their fits
// (the UI's catalog, storeadapter); false when none fits.
func Recommend(ms []perch.CatalogModel, lang string) (perch.Recommendation, bool) {
	isChat := func(m perch.CatalogModel) bool {
		return m.Recommended && !slices.Contains(m.Tags, "embedding") && (len(m.Tags) == 0 || slices.Contains(m.Tags, "chat"))
	}
	var order []perch.CatalogModel
	if lang == "ko" {
		for _, m := range ms {
			if isChat(m) && slices.Contains(m.Tags, "korean") {
				order = append(order, m)
			}
		}
	}
	for _, m := range ms {
		if isChat(m) {
			order = append(order, m)
		}
	}
	for _, m := range order {
		var best, q4, largest *perch.Quant
		for i := range m.Quants {
			q := &m.Quants[i]
			if q.Fit == nil || q.Fit.Verdict != perch.VerdictFits {
				continue
			}
			switch {
			case q.Recommended:
				best = q
			case strings.EqualFold(q.Name, "Q4_K_M"):
				q4 = q
			}
			if largest == nil || q.Size > largest.Size {
				largest = q
			}
		}
		if best == nil {
			best = q4
		}
		if best == nil {
			best = largest
		}
		if best != nil {
			return perch.Recommendation{Model: m, Quant: *best}, true
		}
	}
	return perch.Recommendation{}, false
}
