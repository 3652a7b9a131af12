// Command fittable writes docs/fit-table.md: every catalog entry × quantization on 16, 24,
// 32 and 64 GB Macs at the default context. Run it from the module root after changing the
// catalog or the memory planner; catalog's tests fail while the checked-in table is stale.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/perchapp/perch/app/library/catalog"
)

func main() {
	out := flag.String("o", "docs/fit-table.md", "file to write")
	flag.Parse()
	var b bytes.Buffer
	if err := catalog.WriteFitTable(&b, catalog.Embedded()); err != nil {
		fmt.Fprintln(os.Stderr, "fittable:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "fittable:", err)
		os.Exit(1)
	}
}
