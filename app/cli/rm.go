package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func newRmCmd() *cobra.Command {
	var dirs []string
	cmd := &cobra.Command{
		Use:   "rm NAME...",
		Short: "Remove models from the library (files no other model uses are deleted)",
		Long:  "Remove models from the library. Their files are deleted unless another name uses them. Files in models directories are never deleted.",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openStore(dirs)
			if err != nil {
				return err
			}
			var errs []error
			for _, name := range args {
				if err := s.Remove(cmd.Context(), name); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", name)
			}
			return errors.Join(errs...)
		},
	}
	addModelsDirFlag(cmd, &dirs)
	return cmd
}
