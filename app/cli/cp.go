package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newCpCmd() *cobra.Command {
	var dirs []string
	cmd := &cobra.Command{
		Use:     "cp SRC DST",
		Short:   "Give a model another name (the files are shared, not copied)",
		Example: "  perch cp hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF:Q4_K_M qwen",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openStore(dirs)
			if err != nil {
				return err
			}
			m, err := s.Copy(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "copied %s to %s\n", args[0], m.Name)
			return nil
		},
	}
	addModelsDirFlag(cmd, &dirs)
	return cmd
}
