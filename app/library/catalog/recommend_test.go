package catalog

import (
	"testing"

	"github.com/perchapp/perch/app/wire/perch"
)

func TestRecommend(t *testing.T) {
	fit := func(v string) *perch.Fit { return &perch.Fit{Verdict: v} }
	tests := []struct {
		name string
		ms   []perch.CatalogModel
		lang string
		want string
		ok   bool
	}{
		{"nothing", nil, "", "", false},
		{"not recommended", []perch.CatalogModel{{Quants: []perch.Quant{{Ref: "a", Fit: fit("fits")}}}}, "", "", false},
		{"embedding skipped", []perch.CatalogModel{{Recommended: true, Tags: []string{"embedding"}, Quants: []perch.Quant{{Ref: "a", Fit: fit("fits")}}}}, "", "", false},
		{"largest that fits", []perch.CatalogModel{{Recommended: true, Quants: []perch.Quant{
			{Ref: "q3", Size: 3, Fit: fit("fits")}, {Ref: "q5", Size: 5, Fit: fit("fits")}, {Ref: "q8", Size: 8, Fit: fit("tight")}}}}, "", "q5", true},
		{"q4_k_m preferred", []perch.CatalogModel{{Recommended: true, Quants: []perch.Quant{
			{Name: "Q4_K_M", Ref: "q4", Size: 4, Fit: fit("fits")}, {Ref: "q5", Size: 5, Fit: fit("fits")}}}}, "", "q4", true},
		{"suggested quant first", []perch.CatalogModel{{Recommended: true, Quants: []perch.Quant{
			{Name: "Q4_K_M", Ref: "q4", Size: 4, Fit: fit("fits")}, {Ref: "q6", Size: 6, Recommended: true, Fit: fit("fits")}}}}, "", "q6", true},
		{"suggested quant too big", []perch.CatalogModel{{Recommended: true, Quants: []perch.Quant{
			{Name: "Q4_K_M", Ref: "q4", Size: 4, Fit: fit("fits")}, {Ref: "q8", Size: 8, Recommended: true, Fit: fit("too_large")}}}}, "", "q4", true},
		{"no fit estimate", []perch.CatalogModel{{Recommended: true, Quants: []perch.Quant{{Ref: "a"}}}}, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Recommend(tt.ms, tt.lang)
			if ok != tt.ok || got.Quant.Ref != tt.want {
				t.Fatalf("got %q %v, want %q %v", got.Quant.Ref, ok, tt.want, tt.ok)
			}
		})
	}
}
