package desktop

import (
	"slices"
	"strings"
)

// Model is a loaded model as the tray shows it.
type Model struct {
	Name string
	// Generating is true while a request runs on the model; the tray icon shows it.
	Generating bool
}

// MenuItem is one entry of the tray menu. The menu is rebuilt from this model whenever it
// changes, so a tray implementation only needs "replace the whole menu".
type MenuItem struct {
	// ID names the action a click takes: one of the Menu* constants, or MenuUnloadPrefix
	// followed by a model name. Items with an empty ID are labels.
	ID        string
	Title     string
	Disabled  bool
	Separator bool
	Children  []MenuItem
}

// Menu item IDs.
const (
	MenuOpen         = "open"
	MenuSettings     = "settings"
	MenuQuit         = "quit"
	MenuUnloadPrefix = "unload:"
)

// BuildMenu returns the tray menu for the loaded models: Open, Settings, the models (each
// with an Unload item), Quit.
func BuildMenu(models []Model) []MenuItem {
	items := []MenuItem{
		{ID: MenuOpen, Title: "Open Perch"},
		{ID: MenuSettings, Title: "Settings…"},
		{Separator: true},
	}
	if len(models) == 0 {
		items = append(items, MenuItem{Title: "No model loaded", Disabled: true})
	} else {
		items = append(items, MenuItem{Title: "Loaded models", Disabled: true})
		sorted := slices.Clone(models)
		slices.SortFunc(sorted, func(a, b Model) int { return strings.Compare(a.Name, b.Name) })
		for _, m := range sorted {
			title := m.Name
			if m.Generating {
				title += " — generating"
			}
			items = append(items, MenuItem{Title: title, Children: []MenuItem{
				{ID: MenuUnloadPrefix + m.Name, Title: "Unload"},
			}})
		}
	}
	return append(items, MenuItem{Separator: true}, MenuItem{ID: MenuQuit, Title: "Quit Perch"})
}

// anyGenerating reports whether the tray icon should show activity.
func anyGenerating(models []Model) bool {
	return slices.ContainsFunc(models, func(m Model) bool { return m.Generating })
}

// menuEqual reports whether two menus look and act the same, so an unchanged menu is not
// rebuilt (a rebuild closes a menu the user has open on some hosts).
func menuEqual(a, b []MenuItem) bool {
	return slices.EqualFunc(a, b, func(x, y MenuItem) bool {
		return x.ID == y.ID && x.Title == y.Title && x.Disabled == y.Disabled &&
			x.Separator == y.Separator && menuEqual(x.Children, y.Children)
	})
}
