package main

import "github.com/spf13/pflag"

// perfFlags are the open-model and HdrHistogram-log flags.
type perfFlags struct{}

func (p *perfFlags) register(fs *pflag.FlagSet) {}
