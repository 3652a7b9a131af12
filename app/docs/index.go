package docs

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/perchapp/perch/app/docs/chunk"
	"github.com/perchapp/perch/app/docs/extract"
	"github.com/perchapp/perch/engine"
)

// Document is one indexed file or text.
type Document struct {
	ID           int64  `json:"id"`
	CollectionID int64  `json:"collection_id"`
	Name         string `json:"name"`
	// Source is the file a document was read from when it came from a folder.
	Source   string `json:"source,omitempty"`
	Format   string `json:"format"`
	Size     int64  `json:"size"`
	Hash     string `json:"hash"`
	Passages int    `json:"passages"`
	Pages    int    `json:"pages,omitempty"`
	// EmbeddingModel made its vectors; Stale is true when that is not the collection's
	// model (or prefix) any more.
	EmbeddingModel string    `json:"embedding_model"`
	Stale          bool      `json:"stale"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Passage is a stored passage and its position in the document's text (byte offsets and
// 1-based lines of the extracted text; the page for PDFs).
type Passage struct {
	ID         int64  `json:"id"`
	DocumentID int64  `json:"document_id"`
	Seq        int    `json:"seq"`
	Heading    string `json:"heading,omitempty"`
	Text       string `json:"text"`
	Start      int    `json:"start"`
	End        int    `json:"end"`
	StartLine  int    `json:"start_line"`
	EndLine    int    `json:"end_line"`
	Page       int    `json:"page,omitempty"`
}

// Outcomes of indexing one document.
const (
	Indexed   = "indexed"   // split and embedded (new or changed)
	Unchanged = "unchanged" // same content, model and splitter: nothing done
	Skipped   = "skipped"   // not indexable; Reason says why
	Removed   = "removed"   // its file is gone from the folder
)

// Added is the outcome of adding one document.
type Added struct {
	Document Document `json:"document"`
	Status   string   `json:"status"`
}

// SkipError is a document that cannot be indexed, with the reason. It wraps an extract
// error (extract.ErrBinary, ErrNoText, ErrUnsupported, ErrUnreadable) or ErrInvalid.
type SkipError struct {
	Name   string
	Reason string
	Err    error
}

func (e *SkipError) Error() string { return e.Name + ": " + e.Reason }
func (e *SkipError) Unwrap() error { return e.Err }

// AddText indexes text given directly under name (its extension picks the structure: .md is
// split as Markdown). A document of the same name is replaced, or left alone when unchanged.
func (s *Store) AddText(ctx context.Context, collectionID int64, name, text string) (Added, error) {
	return s.addOne(ctx, collectionID, source{name: name, data: []byte(text), direct: true})
}

// AddFile indexes a file's contents under name (a file name with its extension).
func (s *Store) AddFile(ctx context.Context, collectionID int64, name string, data []byte) (Added, error) {
	return s.addOne(ctx, collectionID, source{name: name, data: data})
}

// addOne indexes one document given by the caller, waiting for a run on the collection.
func (s *Store) addOne(ctx context.Context, collectionID int64, src source) (Added, error) {
	if err := validDocName(src.name); err != nil {
		return Added{}, err
	}
	if !src.direct && int64(len(src.data)) > s.opt.MaxFileBytes {
		return Added{}, &SkipError{Name: src.name, Reason: fmt.Sprintf("the file is %d MiB; the limit is %d MiB", len(src.data)>>20, s.opt.MaxFileBytes>>20), Err: ErrTooLarge}
	}
	unlock, err := s.lock(ctx, collectionID, true)
	if err != nil {
		return Added{}, err
	}
	defer unlock()
	c, err := s.Get(ctx, collectionID)
	if err != nil {
		return Added{}, err
	}
	old, _, err := s.docByName(ctx, c, src.name)
	if err != nil {
		return Added{}, err
	}
	added, err := s.index(ctx, c, src, old, nil)
	if added.Status == Indexed {
		s.vecs.invalidate(c.ID)
	}
	return added, err
}

func validDocName(name string) error {
	if err := validName("document name", name); err != nil {
		return err
	}
	if len(name) > 1024 {
		return fmt.Errorf("%w: the document name is too long", ErrInvalid)
	}
	return nil
}

// source is a document to index.
type source struct {
	name   string
	path   string // the file, for folder documents
	mtime  int64  // and its modification time (Unix ns) when read
	data   []byte
	direct bool // text given directly, not a file's bytes
}

// index splits, embeds and stores one document, replacing old, its stored version (zero ID:
// none), in one transaction: a failure leaves the old version whole. The caller holds the
// collection lock, and clears the collection's vectors from the cache when it is done.
func (s *Store) index(ctx context.Context, c Collection, src source, old storedDoc, onEmbed func(done, total int)) (Added, error) {
	sum := sha256.Sum256(src.data)
	hash := hex.EncodeToString(sum[:])
	found := old.ID != 0
	if found && old.Hash == hash && old.current() {
		// Same bytes, newer time (a copy, a touch): record the time, so the next run
		// need not read the file to know.
		if src.mtime != old.mtime {
			if _, err := s.db.ExecContext(ctx, `UPDATE documents SET mtime = ? WHERE id = ?`, src.mtime, old.ID); err != nil {
				return Added{}, fmt.Errorf("store %s: %w", src.name, err)
			}
		}
		return Added{Document: old.Document, Status: Unchanged}, nil
	}
	var err error
	var doc extract.Doc
	if src.direct {
		doc, err = extract.Text(src.name, string(src.data))
	} else {
		doc, err = extract.Read(src.name, src.data)
	}
	if err != nil {
		return Added{}, &SkipError{Name: src.name, Reason: err.Error(), Err: err}
	}
	parts := s.split(doc)
	if len(parts) == 0 {
		return Added{}, &SkipError{Name: src.name, Reason: "no text to index", Err: extract.ErrNoText}
	}
	inputs := make([]string, len(parts))
	for i, p := range parts {
		inputs[i] = embedInput(c.DocumentPrefix, p.Heading, p.Text)
	}
	vecs, err := s.embed(ctx, c.EmbeddingModel, inputs, onEmbed)
	if err != nil {
		return Added{}, err
	}
	if err := s.checkDims(ctx, c, len(vecs[0])); err != nil {
		return Added{}, err
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Added{}, err
	}
	defer tx.Rollback()
	now := s.now().UnixMilli()
	id := old.ID
	if found {
		// Keep the document's id (sources saved in chats point at it); its passages are new.
		if _, err := tx.ExecContext(ctx, `DELETE FROM passages WHERE document_id = ?`, id); err != nil {
			return Added{}, fmt.Errorf("replace %s: %w", src.name, err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE documents SET source = ?, mtime = ?, format = ?, size = ?, hash = ?, chunker = ?, embed_model = ?, embed_prefix = ?,
			passages = ?, pages = ?, updated_at = ? WHERE id = ?`,
			src.path, src.mtime, string(doc.Format), len(src.data), hash, chunk.Version, c.EmbeddingModel, c.DocumentPrefix, len(parts), len(doc.Pages), now, id)
	} else {
		var res sql.Result
		res, err = tx.ExecContext(ctx, `INSERT INTO documents (collection_id, name, source, mtime, format, size, hash, chunker, embed_model, embed_prefix, passages, pages, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, src.name, src.path, src.mtime, string(doc.Format), len(src.data), hash, chunk.Version, c.EmbeddingModel, c.DocumentPrefix, len(parts), len(doc.Pages), now, now)
		if err == nil {
			id, _ = res.LastInsertId()
		}
	}
	if err != nil {
		return Added{}, fmt.Errorf("store %s: %w", src.name, err)
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO passages (document_id, collection_id, seq, heading, text, start_byte, end_byte, start_line, end_line, page, vector)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return Added{}, err
	}
	defer ins.Close()
	for i, p := range parts {
		if _, err := ins.ExecContext(ctx, id, c.ID, p.Seq, p.Heading, p.Text, p.Start, p.End, p.StartLine, p.EndLine, doc.PageOf(p.Start), encodeVector(vecs[i])); err != nil {
			return Added{}, fmt.Errorf("store passage %d of %s: %w", i, src.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE collections SET updated_at = ? WHERE id = ?`, now, c.ID); err != nil {
		return Added{}, err
	}
	if err := tx.Commit(); err != nil {
		return Added{}, fmt.Errorf("store %s: %w", src.name, err)
	}
	d, err := s.Document(ctx, c.ID, id)
	return Added{Document: d, Status: Indexed}, err
}

// split cuts a document into passages. Pages are split one by one, so that a passage never
// runs across a page break and its page number says where all of it is.
func (s *Store) split(doc extract.Doc) []chunk.Passage {
	o := chunk.Options{MaxSize: s.opt.MaxPassageSize}
	if len(doc.Pages) == 0 {
		return chunk.Split(doc.Text, doc.Kind, o)
	}
	var out []chunk.Passage
	lines, counted := 0, 0 // newlines in doc.Text[:counted]
	for i, start := range doc.Pages {
		end := len(doc.Text)
		if i+1 < len(doc.Pages) {
			end = doc.Pages[i+1]
		}
		lines += strings.Count(doc.Text[counted:start], "\n")
		counted = start
		for _, p := range chunk.Split(doc.Text[start:end], doc.Kind, o) {
			p.Seq = len(out)
			p.Start += start
			p.End += start
			p.StartLine += lines
			p.EndLine += lines
			out = append(out, p)
		}
	}
	return out
}

// embedInput is what is embedded for a passage: the heading path gives a passage cut from
// the middle of a section the context a reader would have.
func embedInput(prefix, heading, text string) string {
	if heading == "" || strings.HasPrefix(strings.TrimLeft(text, "# "), lastHeading(heading)) {
		return prefix + text
	}
	return prefix + heading + "\n\n" + text
}

func lastHeading(h string) string {
	if i := strings.LastIndex(h, chunk.HeadingSep); i >= 0 {
		return h[i+len(chunk.HeadingSep):]
	}
	return h
}

// embed returns one unit vector per input, in batches, reporting progress after each.
func (s *Store) embed(ctx context.Context, model string, inputs []string, progress func(done, total int)) ([][]float32, error) {
	out := make([][]float32, 0, len(inputs))
	for i := 0; i < len(inputs); i += s.opt.EmbedBatch {
		batch := inputs[i:min(len(inputs), i+s.opt.EmbedBatch)]
		// Truncate: a passage longer than the model's context is embedded by its beginning
		// rather than failing the whole document.
		res, err := s.emb.Embed(ctx, engine.EmbedRequest{Model: model, Inputs: batch, Normalize: true, Truncate: true})
		if err != nil {
			return nil, fmt.Errorf("embedding with %s: %w", model, err)
		}
		if len(res.Embeddings) != len(batch) {
			return nil, fmt.Errorf("embedding with %s: %d vectors for %d passages", model, len(res.Embeddings), len(batch))
		}
		for _, v := range res.Embeddings {
			if len(v) == 0 || (len(out) > 0 && len(v) != len(out[0])) {
				return nil, fmt.Errorf("embedding with %s: vectors of %d and %d dimensions", model, len(v), len(out[0]))
			}
			out = append(out, v)
		}
		if progress != nil {
			progress(len(out), len(inputs))
		}
	}
	return out, nil
}

// checkDims refuses vectors of another size than the collection's current (non-stale) ones:
// the same model name now naming another model.
func (s *Store) checkDims(ctx context.Context, c Collection, dims int) error {
	var have sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT length(p.vector) / 4 FROM passages p JOIN documents d ON d.id = p.document_id
		WHERE d.collection_id = ? AND NOT `+staleDoc+` LIMIT 1`, c.ID, c.EmbeddingModel, c.DocumentPrefix).Scan(&have)
	if errors.Is(err, sql.ErrNoRows) || !have.Valid {
		return nil
	}
	if err != nil {
		return err
	}
	if int(have.Int64) != dims {
		return fmt.Errorf("%w: %s now makes %d-dimensional vectors but the collection holds %d-dimensional ones from it; re-index the collection",
			ErrNeedsReindex, c.EmbeddingModel, dims, have.Int64)
	}
	return nil
}

func encodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// storedDoc is a document row with what index needs to decide.
type storedDoc struct {
	Document
	chunker int
	mtime   int64 // of its file when read (Unix ns); 0: unknown
}

// current says the document was split by this splitter and embedded with the collection's
// model and prefix: only its content can make it worth indexing again.
func (d storedDoc) current() bool { return !d.Stale && d.chunker == chunk.Version }

// staleDoc is true for a document d whose vectors are not from the collection's model and
// document prefix (the arguments, in that order).
const staleDoc = `(d.embed_model != ? OR d.embed_prefix != ?)`

const docCols = `d.id, d.collection_id, d.name, d.source, d.format, d.size, d.hash, d.passages, d.pages, d.embed_model, d.created_at, d.updated_at, d.chunker, d.mtime, ` + staleDoc

func (s *Store) scanDoc(row interface{ Scan(...any) error }) (storedDoc, error) {
	var d storedDoc
	var created, updated int64
	err := row.Scan(&d.ID, &d.CollectionID, &d.Name, &d.Source, &d.Format, &d.Size, &d.Hash, &d.Passages, &d.Pages, &d.EmbeddingModel,
		&created, &updated, &d.chunker, &d.mtime, &d.Stale)
	d.CreatedAt, d.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return d, err
}

// docQuery selects documents of collection c with the stale flag computed against the
// collection's model and effective document prefix.
func (s *Store) docQuery(ctx context.Context, c Collection, where string, args ...any) (*sql.Rows, error) {
	return s.db.QueryContext(ctx, `SELECT `+docCols+` FROM documents d WHERE d.collection_id = ? `+where,
		append([]any{c.EmbeddingModel, c.DocumentPrefix, c.ID}, args...)...)
}

func (s *Store) docByName(ctx context.Context, c Collection, name string) (storedDoc, bool, error) {
	rows, err := s.docQuery(ctx, c, `AND d.name = ?`, name)
	if err != nil {
		return storedDoc{}, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return storedDoc{}, false, rows.Err()
	}
	d, err := s.scanDoc(rows)
	return d, err == nil, err
}

// Documents lists a collection's documents by name.
func (s *Store) Documents(ctx context.Context, collectionID int64) ([]Document, error) {
	c, err := s.Get(ctx, collectionID)
	if err != nil {
		return nil, err
	}
	rows, err := s.docQuery(ctx, c, `ORDER BY d.name`)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	defer rows.Close()
	out := []Document{}
	for rows.Next() {
		d, err := s.scanDoc(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d.Document)
	}
	return out, rows.Err()
}

// Document returns one document.
func (s *Store) Document(ctx context.Context, collectionID, id int64) (Document, error) {
	c, err := s.Get(ctx, collectionID)
	if err != nil {
		return Document{}, err
	}
	rows, err := s.docQuery(ctx, c, `AND d.id = ?`, id)
	if err != nil {
		return Document{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Document{}, err
		}
		return Document{}, fmt.Errorf("%w: no document %d in collection %d", ErrNotFound, id, collectionID)
	}
	d, err := s.scanDoc(rows)
	return d.Document, err
}

// Passages returns a document's passages in order, to show a source in its context.
func (s *Store) Passages(ctx context.Context, collectionID, documentID int64) ([]Passage, error) {
	if _, err := s.Document(ctx, collectionID, documentID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, document_id, seq, heading, text, start_byte, end_byte, start_line, end_line, page
		FROM passages WHERE document_id = ? ORDER BY seq`, documentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Passage{}
	for rows.Next() {
		var p Passage
		if err := rows.Scan(&p.ID, &p.DocumentID, &p.Seq, &p.Heading, &p.Text, &p.Start, &p.End, &p.StartLine, &p.EndLine, &p.Page); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeleteDocument removes a document and its passages.
func (s *Store) DeleteDocument(ctx context.Context, collectionID, id int64) error {
	unlock, err := s.lock(ctx, collectionID, true)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := s.Document(ctx, collectionID, id); err != nil {
		return err
	}
	if err := s.deleteDoc(ctx, id); err != nil {
		return err
	}
	s.vecs.invalidate(collectionID)
	return nil
}

func (s *Store) deleteDoc(ctx context.Context, id int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Passages by statement, so the trigger removes their keyword rows.
	if _, err := tx.ExecContext(ctx, `DELETE FROM passages WHERE document_id = ?`, id); err != nil {
		return fmt.Errorf("delete document %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM documents WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete document %d: %w", id, err)
	}
	return tx.Commit()
}

// Progress reports a folder indexing or re-indexing run. Phases: scan (files found so
// far), embed (passages of the current file embedded), file (a file finished, with Status),
// done.
type Progress struct {
	Phase  string `json:"phase"`
	Path   string `json:"path,omitempty"`
	Status string `json:"status,omitempty"`
	// Code and Reason say why a file was skipped (Skip).
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Passages of this file (file), or embedded so far of Of (embed).
	Passages int `json:"passages,omitempty"`
	Of       int `json:"of,omitempty"`
	// Files handled and found; passages embedded in this run so far.
	Done     int   `json:"done"`
	Total    int   `json:"total"`
	Embedded int   `json:"embedded"`
	Elapsed  int64 `json:"elapsed_ms"`
}

// Summary is the result of a folder or re-indexing run.
type Summary struct {
	Files     int    `json:"files"`
	Indexed   int    `json:"indexed"`
	Unchanged int    `json:"unchanged"`
	Skipped   int    `json:"skipped"`
	Removed   int    `json:"removed"`
	Embedded  int    `json:"embedded"` // passages embedded
	Skips     []Skip `json:"skips"`
	ElapsedMs int64  `json:"elapsed_ms"`
	// PassagesPerSecond is the embedding throughput of the run.
	PassagesPerSecond float64 `json:"passages_per_second"`
}

// Skip is a file not indexed and why: Code for the UI to word in the user's language
// (SkipUnsupported, ...), Reason in English with the particulars.
type Skip struct {
	Path   string `json:"path"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// skipDirs are folders never worth indexing: version control, dependencies, caches.
var skipDirs = map[string]bool{"node_modules": true, "__pycache__": true, "venv": true, ".venv": true}

// AddFolder indexes the files under dir (recursively; hidden files and folders, and
// dependency folders such as node_modules, are left out). Only files whose content changed
// since the last run are split and embedded again; documents of files that are gone are
// removed. Each file is stored in its own transaction, so a cancelled run keeps what it
// finished. Files that cannot be indexed are reported as skipped with the reason.
func (s *Store) AddFolder(ctx context.Context, collectionID int64, dir string, progress func(Progress)) (Summary, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	if !filepath.IsAbs(dir) {
		return Summary{}, fmt.Errorf("%w: the folder must be an absolute path, got %q", ErrInvalid, dir)
	}
	dir = filepath.Clean(dir)
	r, err := s.reach(ctx, collectionID)
	if err != nil {
		return Summary{}, err
	}
	realDir, err := allowedFolder(r, dir)
	if err != nil {
		return Summary{}, err
	}
	st, err := os.Stat(realDir)
	if err != nil {
		return Summary{}, fmt.Errorf("%w: cannot read the folder: %v", ErrInvalid, err)
	}
	if !st.IsDir() {
		return Summary{}, fmt.Errorf("%w: %s is a file, not a folder; add files as documents", ErrInvalid, dir)
	}
	unlock, err := s.lock(ctx, collectionID, false)
	if err != nil {
		return Summary{}, err
	}
	defer unlock()
	c, err := s.Get(ctx, collectionID)
	if err != nil {
		return Summary{}, err
	}
	start := s.now()
	run := &run{s: s, start: start, progress: progress, reach: r}

	var files []string
	// The folder is walked where it really is (links resolved), but documents keep the path
	// the user gave, so that a later run finds them.
	walkDir := realDir
	err = filepath.WalkDir(walkDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == walkDir {
				return err
			}
			run.skip(p, SkipUnreadable, fmt.Sprintf("cannot read: %v", errors.Unwrap(err)))
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		name := d.Name()
		if p != walkDir && (strings.HasPrefix(name, ".") || (d.IsDir() && skipDirs[name])) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil // sockets, devices, pipes
		}
		found := p
		if rel, err := filepath.Rel(walkDir, p); err == nil {
			p = filepath.Join(dir, rel)
		}
		if code, why := allowedFile(r, found); code != "" {
			run.skip(p, code, why)
			return nil
		}
		files = append(files, p)
		if len(files)%200 == 0 {
			progress(Progress{Phase: "scan", Total: len(files), Elapsed: run.elapsed()})
		}
		return nil
	})
	if err != nil {
		return run.sum, fmt.Errorf("scan %s: %w", dir, err)
	}
	run.total = len(files)
	run.sum.Files = len(files)
	progress(Progress{Phase: "scan", Total: len(files), Elapsed: run.elapsed()})

	seen := make(map[string]bool, len(files))
	for _, p := range files {
		if err := ctx.Err(); err != nil {
			return run.finish(), err
		}
		seen[p] = true
		if err := run.file(ctx, c, p); err != nil {
			return run.finish(), err
		}
	}
	// Files that were indexed from this folder before and are gone now. The paths under dir
	// sort from dir+"/" up to dir+"0" ('0' follows '/'): a byte-wise range, where substr
	// would count characters, not bytes, and miss every non-ASCII folder.
	under := strings.TrimSuffix(dir, string(filepath.Separator)) // "/" stays a prefix
	rows, err := s.db.QueryContext(ctx, `SELECT id, source FROM documents WHERE collection_id = ? AND source != '' AND (source = ? OR (source >= ? AND source < ?))`,
		c.ID, dir, under+string(filepath.Separator), under+string(filepath.Separator+1))
	if err != nil {
		return run.finish(), err
	}
	type gone struct {
		id   int64
		path string
	}
	var stale []gone
	for rows.Next() {
		var g gone
		if err := rows.Scan(&g.id, &g.path); err != nil {
			rows.Close()
			return run.finish(), err
		}
		if !seen[g.path] {
			stale = append(stale, g)
		}
	}
	rows.Close()
	for _, g := range stale {
		if err := s.deleteDoc(ctx, g.id); err != nil {
			return run.finish(), err
		}
		run.sum.Removed++
		progress(Progress{Phase: "file", Path: g.path, Status: Removed, Done: run.done, Total: run.total, Embedded: run.sum.Embedded, Elapsed: run.elapsed()})
	}
	if len(stale) > 0 {
		s.vecs.invalidate(c.ID)
	}
	sum := run.finish()
	progress(Progress{Phase: "done", Done: run.done, Total: run.total, Embedded: sum.Embedded, Elapsed: sum.ElapsedMs})
	return sum, nil
}

// run tracks one folder or re-indexing run.
type run struct {
	s        *Store
	start    time.Time
	progress func(Progress)
	reach    reach // where files may be read (AddFolder)
	sum      Summary
	done     int
	total    int
}

func (r *run) elapsed() int64 { return r.s.now().Sub(r.start).Milliseconds() }

func (r *run) skip(path, code, reason string) {
	r.sum.Skipped++
	r.sum.Skips = append(r.sum.Skips, Skip{Path: path, Code: code, Reason: reason})
	r.progress(Progress{Phase: "file", Path: path, Status: Skipped, Code: code, Reason: reason, Done: r.done, Total: r.total, Embedded: r.sum.Embedded, Elapsed: r.elapsed()})
}

func (r *run) finish() Summary {
	r.sum.ElapsedMs = r.elapsed()
	if r.sum.ElapsedMs > 0 {
		r.sum.PassagesPerSecond = float64(r.sum.Embedded) / (float64(r.sum.ElapsedMs) / 1000)
	}
	if r.sum.Skips == nil {
		r.sum.Skips = []Skip{}
	}
	return r.sum
}

// file indexes one file of a folder. Only errors that stop the run are returned (the
// embedding model failing, cancellation); a file that cannot be indexed is a skip.
func (r *run) file(ctx context.Context, c Collection, path string) error {
	r.done++
	if !extract.Supported(path) {
		_, err := extract.Read(path, nil) // says why the type is refused
		r.skip(path, SkipCode(err), err.Error())
		return nil
	}
	// Checked again where it is read: a link may have changed since the scan.
	if code, why := allowedFile(r.reach, path); code != "" {
		r.skip(path, code, why)
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		r.skip(path, SkipUnreadable, fmt.Sprintf("cannot read: %v", errors.Unwrap(err)))
		return nil
	}
	if !st.Mode().IsRegular() { // a link to a device or a pipe would never end
		r.skip(path, SkipUnsupported, "not a regular file")
		return nil
	}
	if st.Size() > r.s.opt.MaxFileBytes {
		r.skip(path, SkipTooLarge, fmt.Sprintf("the file is %d MiB; the limit is %d MiB", st.Size()>>20, r.s.opt.MaxFileBytes>>20))
		return nil
	}
	old, _, err := r.s.docByName(ctx, c, path)
	if err != nil {
		return err
	}
	mtime := st.ModTime().UnixNano()
	if old.current() && old.mtime != 0 && old.mtime == mtime && old.Size == st.Size() {
		// The same size and time as when it was read: not read, hashed or split again.
		r.filed(path, Added{Document: old.Document, Status: Unchanged})
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		r.skip(path, SkipUnreadable, fmt.Sprintf("cannot read: %v", errors.Unwrap(err)))
		return nil
	}
	base := r.sum.Embedded
	added, err := r.s.index(ctx, c, source{name: path, path: path, mtime: mtime, data: data}, old, func(done, total int) {
		r.sum.Embedded = base + done
		if total > r.s.opt.EmbedBatch { // progress inside a large file only
			r.progress(Progress{Phase: "embed", Path: path, Passages: done, Of: total, Done: r.done, Total: r.total, Embedded: r.sum.Embedded, Elapsed: r.elapsed()})
		}
	})
	var skip *SkipError
	switch {
	case errors.As(err, &skip):
		r.skip(path, SkipCode(skip), skip.Reason)
		return nil
	case err != nil:
		return err
	}
	if added.Status == Indexed {
		// Searches during the run see each file as it is stored.
		r.s.vecs.invalidate(c.ID)
	}
	r.filed(path, added)
	return nil
}

// filed counts and reports a file indexed or found unchanged.
func (r *run) filed(path string, added Added) {
	if added.Status == Indexed {
		r.sum.Indexed++
	} else {
		r.sum.Unchanged++
	}
	r.progress(Progress{Phase: "file", Path: path, Status: added.Status, Passages: added.Document.Passages, Done: r.done, Total: r.total, Embedded: r.sum.Embedded, Elapsed: r.elapsed()})
}

// Reindex embeds the stale documents of a collection again with its current model, from the
// passages stored (the files are not needed). Each document is replaced in one transaction.
func (s *Store) Reindex(ctx context.Context, collectionID int64, progress func(Progress)) (Summary, error) {
	if progress == nil {
		progress = func(Progress) {}
	}
	unlock, err := s.lock(ctx, collectionID, false)
	if err != nil {
		return Summary{}, err
	}
	defer unlock()
	c, err := s.Get(ctx, collectionID)
	if err != nil {
		return Summary{}, err
	}
	run := &run{s: s, start: s.now(), progress: progress}
	rows, err := s.docQuery(ctx, c, `ORDER BY d.id`)
	if err != nil {
		return Summary{}, err
	}
	var stale []storedDoc
	for rows.Next() {
		d, err := s.scanDoc(rows)
		if err != nil {
			rows.Close()
			return Summary{}, err
		}
		run.sum.Files++
		if d.Stale {
			stale = append(stale, d)
		} else {
			run.sum.Unchanged++
		}
	}
	rows.Close()
	run.total = len(stale)
	progress(Progress{Phase: "scan", Total: run.total})
	// Search refuses a collection with stale documents, so no search loads vectors before
	// the last one is done: one clearing at the end, whole or cancelled, is enough.
	defer s.vecs.invalidate(c.ID)
	for _, d := range stale {
		if err := ctx.Err(); err != nil {
			return run.finish(), err
		}
		if err := s.reembed(ctx, c, d, run); err != nil {
			return run.finish(), err
		}
		run.done++
		run.sum.Indexed++
		progress(Progress{Phase: "file", Path: d.Name, Status: Indexed, Passages: d.Passages, Done: run.done, Total: run.total, Embedded: run.sum.Embedded, Elapsed: run.elapsed()})
	}
	sum := run.finish()
	progress(Progress{Phase: "done", Done: run.done, Total: run.total, Embedded: sum.Embedded, Elapsed: sum.ElapsedMs})
	return sum, nil
}

func (s *Store) reembed(ctx context.Context, c Collection, d storedDoc, r *run) error {
	ps, err := s.Passages(ctx, c.ID, d.ID)
	if err != nil {
		return err
	}
	inputs := make([]string, len(ps))
	for i, p := range ps {
		inputs[i] = embedInput(c.DocumentPrefix, p.Heading, p.Text)
	}
	base := r.sum.Embedded
	vecs, err := s.embed(ctx, c.EmbeddingModel, inputs, func(done, total int) {
		r.sum.Embedded = base + done
		if total > s.opt.EmbedBatch {
			r.progress(Progress{Phase: "embed", Path: d.Name, Passages: done, Of: total, Done: r.done, Total: r.total, Embedded: r.sum.Embedded, Elapsed: r.elapsed()})
		}
	})
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i, p := range ps {
		if _, err := tx.ExecContext(ctx, `UPDATE passages SET vector = ? WHERE id = ?`, encodeVector(vecs[i]), p.ID); err != nil {
			return fmt.Errorf("re-index %s: %w", d.Name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE documents SET embed_model = ?, embed_prefix = ?, updated_at = ? WHERE id = ?`,
		c.EmbeddingModel, c.DocumentPrefix, s.now().UnixMilli(), d.ID); err != nil {
		return fmt.Errorf("re-index %s: %w", d.Name, err)
	}
	return tx.Commit()
}
