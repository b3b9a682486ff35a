package main

import (
	"flag"
	"fmt"
	"log/slog"
	"time"

	"sockplay/sessions/programs"
	pylib "sockplay/sessions/python"
)

// pythonLib returns the directory of sockplay's own Python modules (its
// socket module and the cell kernel), bound read-only into every program's
// sandbox and first on its PYTHONPATH.
var pythonLib = pylib.Dir

// programFlags adds the flags of programs (op run) to fs.
func programFlags(fs *flag.FlagSet, cfg *Config, getenv func(string) string) error {
	cfg.ProgramTimeout = programs.DefaultLimits.Wall
	if v := getenv("SOCKPLAY_PROGRAM_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("SOCKPLAY_PROGRAM_TIMEOUT: %v", err)
		}
		cfg.ProgramTimeout = d
	}
	fs.DurationVar(&cfg.ProgramTimeout, "program-timeout", cfg.ProgramTimeout, "wall time a learner's program may run before it is stopped (env SOCKPLAY_PROGRAM_TIMEOUT)")
	return nil
}

// checkProgramFlags checks the parsed flags of programs.
func checkProgramFlags(cfg Config) error {
	if cfg.ProgramTimeout <= 0 {
		return fmt.Errorf("--program-timeout must be a positive duration, not %v", cfg.ProgramTimeout)
	}
	return nil
}

// The startup line that says whether Python runs here: lessons' cells,
// the workbench's console, the transcript's Run and the program editor all
// run through op run.
const (
	pythonOn  = "Python runs here, in sandboxes: lesson cells, the console and programs (op run)"
	pythonOff = "Python cannot run here: lesson cells, the console and programs are disabled (op run is refused)"
)

// newRunner returns the runner of learners' programs and logs whether
// they can run here. A runner that cannot is still returned: every run is
// then refused with its reason, and pages disable Run (hello's programs).
// Programs never run outside their sandbox.
func newRunner(cfg Config, log *slog.Logger) *programs.Runner {
	lib, err := pythonLib()
	if err != nil {
		log.Error("sockplay's Python modules could not be unpacked: programs run without them", "err", err)
		lib = ""
	}
	pcfg := programs.Config{Lib: lib, Limits: programs.Limits{Wall: cfg.ProgramTimeout}}
	if lib != "" {
		pcfg.RestoreLib = pylib.Restore
	}
	r := programs.New(pcfg)
	if err := r.Available(); err != nil {
		log.Warn(pythonOff, "why", err.Error())
		return r
	}
	l := r.Limits()
	log.Info(pythonOn, "timeout", l.Wall, "cpu", l.CPU, "memory", l.Memory,
		"processes", l.Procs, "file_size", l.FileSize, "tmp", l.Tmp, "open_files", l.OpenFiles, "output", l.Output)
	return r
}
